package upload

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// idBytes is 128 bits: enough that an upload id cannot be guessed, so
// keys derived from it cannot be either.
const idBytes = 16

// NewID returns a fresh upload id: 32 lowercase hex characters.
func NewID() string {
	var b [idBytes]byte
	// crypto/rand.Read never fails on supported platforms (Go 1.24+).
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s has the shape NewID gives. Everything that
// turns an id into a key checks it first, so that no caller-supplied text
// (such as "../") ever reaches a key.
func ValidID(s string) bool {
	if len(s) != 2*idBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func checkID(id string) error {
	if !ValidID(id) {
		return fmt.Errorf("upload id %q is not a valid upload id", id)
	}
	return nil
}
