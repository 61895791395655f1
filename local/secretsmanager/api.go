package secretsmanager

import (
	"context"
	"slices"
	"strings"
	"time"

	"thumbflow/local/awsjson"
)

// Recovery windows DeleteSecret accepts, in days, and its default.
const (
	minRecoveryDays     = 7
	maxRecoveryDays     = 30
	defaultRecoveryDays = 30
)

// epoch is a date as the JSON protocols send it: seconds since the epoch.
type epoch = float64

func toEpoch(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	v := float64(t.UnixMilli()) / 1000
	return &v
}

func notFound() error {
	return awsjson.NotFound("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func denied(err error) error {
	return awsjson.Errorf("AccessDeniedException", "%v", err)
}

// authorize asks IAM about action on the secret.
func authorize(ctx context.Context, action, arn string) error {
	if err := awsjson.Authorize(ctx, "secretsmanager:"+action, arn); err != nil {
		return denied(err)
	}
	return nil
}

// find resolves a SecretId (a name, an ARN, or an ARN without its random
// suffix) and drops a secret whose recovery window has ended. Callers hold
// s.mu.
func (s *Service) find(id string) (*secret, error) {
	if id == "" {
		return nil, awsjson.Errorf("InvalidParameterException", "SecretId is required")
	}
	s.purgeExpired()
	if sec, ok := s.secrets[id]; ok {
		return sec, nil
	}
	for _, sec := range s.secrets {
		if sec.Name == id || partialARN(sec.ARN) == id {
			return sec, nil
		}
	}
	return nil, notFound()
}

// partialARN is the ARN without the six random characters, which
// Secrets Manager accepts as a SecretId.
func partialARN(arn string) string {
	if i := strings.LastIndexByte(arn, '-'); i > 0 {
		return arn[:i]
	}
	return arn
}

// purgeExpired deletes the secrets whose recovery window has ended, as
// Secrets Manager does in the background. Callers hold s.mu.
func (s *Service) purgeExpired() {
	now := s.opts.Now()
	for arn, sec := range s.secrets {
		if !sec.Purge.IsZero() && !now.Before(sec.Purge) {
			delete(s.secrets, arn)
			s.log.Info("secret deleted at the end of its recovery window", "arn", arn)
		}
	}
}

func (s *Service) live(id string) (*secret, error) {
	sec, err := s.find(id)
	if err != nil {
		return nil, err
	}
	if !sec.Deleted.IsZero() {
		return nil, awsjson.Errorf("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
	}
	return sec, nil
}

// current returns the version with the stage.
func (sec *secret) stage(name string) *version {
	for _, v := range sec.Versions {
		if slices.Contains(v.Stages, name) {
			return v
		}
	}
	return nil
}

// addVersion makes v the AWSCURRENT version, and the former current one
// AWSPREVIOUS, as PutSecretValue does without VersionStages.
func (sec *secret) addVersion(v *version) {
	for _, old := range sec.Versions {
		old.Stages = slices.DeleteFunc(old.Stages, func(st string) bool { return st == "AWSPREVIOUS" })
		if i := slices.Index(old.Stages, "AWSCURRENT"); i >= 0 {
			old.Stages[i] = "AWSPREVIOUS"
		}
	}
	// Versions without a stage are deprecated; keep only a few, as
	// Secrets Manager keeps about 100.
	sec.Versions = slices.DeleteFunc(sec.Versions, func(old *version) bool { return len(old.Stages) == 0 })
	v.Stages = []string{"AWSCURRENT"}
	sec.Versions = append(sec.Versions, v)
	sec.Changed = v.Created
}

// CreateSecretInput and the other inputs and outputs carry the API's
// field names.
type CreateSecretInput struct {
	Name, Description, ClientRequestToken, KmsKeyId string
	SecretString                                    *string
	SecretBinary                                    []byte
	ForceOverwriteReplicaSecret                     bool
}

// SecretRef names a secret and its version in an answer.
type SecretRef struct {
	ARN, Name string
	VersionId string `json:",omitempty"`
}

func checkValue(str *string, bin []byte) error {
	if str != nil && bin != nil {
		return awsjson.Errorf("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	if (str != nil && len(*str) > 65536) || len(bin) > 65536 {
		return awsjson.Errorf("InvalidParameterException", "The secret value exceeds the 65536-byte quota.")
	}
	return nil
}

// CreateSecret creates a secret, with a first version when it has a value.
func (s *Service) CreateSecret(ctx context.Context, in CreateSecretInput) (SecretRef, error) {
	if in.Name == "" || len(in.Name) > 512 {
		return SecretRef{}, awsjson.Errorf("InvalidParameterException", "Name must be 1 to 512 characters")
	}
	if err := checkValue(in.SecretString, in.SecretBinary); err != nil {
		return SecretRef{}, err
	}
	arn, err := s.arn(in.Name)
	if err != nil {
		return SecretRef{}, err
	}
	if err := authorize(ctx, "CreateSecret", arn); err != nil {
		return SecretRef{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, err := s.find(in.Name); err == nil {
		if !old.Deleted.IsZero() {
			return SecretRef{}, awsjson.Errorf("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		return SecretRef{}, awsjson.Errorf("ResourceExistsException", "The operation failed because the secret %s already exists.", in.Name)
	}
	now := s.opts.Now()
	sec := &secret{ARN: arn, Name: in.Name, Description: in.Description, Created: now, Changed: now}
	ref := SecretRef{ARN: arn, Name: in.Name}
	if in.SecretString != nil || in.SecretBinary != nil {
		id := in.ClientRequestToken
		if id == "" {
			if id, err = s.uuid(); err != nil {
				return SecretRef{}, err
			}
		}
		sec.addVersion(&version{ID: id, String: in.SecretString, Binary: in.SecretBinary, Created: now})
		ref.VersionId = id
	}
	s.secrets[arn] = sec
	if err := s.save(); err != nil {
		delete(s.secrets, arn)
		return SecretRef{}, err
	}
	return ref, nil
}

// GetSecretValueInput selects a version by id or stage (AWSCURRENT by
// default).
type GetSecretValueInput struct{ SecretId, VersionId, VersionStage string }

// GetSecretValueOutput is the version's value.
type GetSecretValueOutput struct {
	ARN, Name, VersionId string
	SecretString         *string `json:",omitempty"`
	SecretBinary         []byte  `json:",omitempty"`
	VersionStages        []string
	CreatedDate          *epoch
}

// GetSecretValue returns a version's value.
func (s *Service) GetSecretValue(ctx context.Context, in GetSecretValueInput) (GetSecretValueOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.find(in.SecretId)
	if err != nil {
		return GetSecretValueOutput{}, err
	}
	if err := authorize(ctx, "GetSecretValue", sec.ARN); err != nil {
		return GetSecretValueOutput{}, err
	}
	if !sec.Deleted.IsZero() {
		return GetSecretValueOutput{}, awsjson.Errorf("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
	}
	var v *version
	if in.VersionId != "" {
		for _, c := range sec.Versions {
			if c.ID == in.VersionId && (in.VersionStage == "" || slices.Contains(c.Stages, in.VersionStage)) {
				v = c
			}
		}
	} else {
		stage := in.VersionStage
		if stage == "" {
			stage = "AWSCURRENT"
		}
		v = sec.stage(stage)
	}
	if v == nil {
		return GetSecretValueOutput{}, awsjson.NotFound("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", cmpOr(in.VersionStage, "AWSCURRENT"))
	}
	sec.Accessed = s.opts.Now().UTC().Truncate(24 * time.Hour)
	return GetSecretValueOutput{
		ARN: sec.ARN, Name: sec.Name, VersionId: v.ID, SecretString: v.String, SecretBinary: v.Binary,
		VersionStages: v.Stages, CreatedDate: toEpoch(v.Created),
	}, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// PutSecretValueInput is a new version.
type PutSecretValueInput struct {
	SecretId, ClientRequestToken string
	SecretString                 *string
	SecretBinary                 []byte
	VersionStages                []string
}

// PutSecretValueOutput names the version and its stages.
type PutSecretValueOutput struct {
	ARN, Name, VersionId string
	VersionStages        []string
}

// PutSecretValue adds a version and makes it AWSCURRENT. Repeating a call
// with the same ClientRequestToken and value changes nothing; with another
// value it fails, as on AWS.
func (s *Service) PutSecretValue(ctx context.Context, in PutSecretValueInput) (PutSecretValueOutput, error) {
	if err := checkValue(in.SecretString, in.SecretBinary); err != nil {
		return PutSecretValueOutput{}, err
	}
	if in.SecretString == nil && in.SecretBinary == nil {
		return PutSecretValueOutput{}, awsjson.Errorf("InvalidParameterException", "You must provide either SecretString or SecretBinary.")
	}
	if len(in.VersionStages) > 0 && !slices.Equal(in.VersionStages, []string{"AWSCURRENT"}) {
		return PutSecretValueOutput{}, awsjson.Errorf("InvalidParameterException", "the local Secrets Manager supports only the AWSCURRENT stage in VersionStages")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.live(in.SecretId)
	if err != nil {
		return PutSecretValueOutput{}, err
	}
	if err := authorize(ctx, "PutSecretValue", sec.ARN); err != nil {
		return PutSecretValueOutput{}, err
	}
	for _, v := range sec.Versions {
		if in.ClientRequestToken != "" && v.ID == in.ClientRequestToken {
			if ptrEq(v.String, in.SecretString) && string(v.Binary) == string(in.SecretBinary) {
				return PutSecretValueOutput{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID, VersionStages: v.Stages}, nil
			}
			return PutSecretValueOutput{}, awsjson.Errorf("ResourceExistsException", "You can't modify an existing version, you can only create a new version.")
		}
	}
	id := in.ClientRequestToken
	if id == "" {
		if id, err = s.uuid(); err != nil {
			return PutSecretValueOutput{}, err
		}
	}
	v := &version{ID: id, String: in.SecretString, Binary: in.SecretBinary, Created: s.opts.Now()}
	sec.addVersion(v)
	if err := s.save(); err != nil {
		return PutSecretValueOutput{}, err
	}
	return PutSecretValueOutput{ARN: sec.ARN, Name: sec.Name, VersionId: id, VersionStages: v.Stages}, nil
}

func ptrEq(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
