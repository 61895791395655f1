// Package upload is the domain of one image upload, from grant to terminal
// status, in plain Go with no AWS types.
//
// The classic thumbnail app let two functions share an implicit session
// through a guessable file key. Here the server chooses every key from an
// unguessable upload id, the client holds a signed subscription token that
// proves it owns the upload, and the status record is the single truth
// about where the upload stands.
package upload
