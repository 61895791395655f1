// Package thumbflow holds the stack's own description, embedded: the SAM
// template and the state machine definitions it names. The binary carries
// them so that `thumbflow dev` builds the local cloud from the very files
// that are deployed to AWS, wherever it is started from.
package thumbflow

import "embed"

// Files holds template.yaml and statemachine/*.asl.json, at the paths the
// template's DefinitionUri values name.
//
//go:embed template.yaml statemachine/*.asl.json
var Files embed.FS

// TemplatePath is the template's path within Files.
const TemplatePath = "template.yaml"
