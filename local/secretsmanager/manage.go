package secretsmanager

import (
	"context"
	"sort"
	"strings"
	"time"

	"thumbflow/local/awsjson"
)

// SecretIdInput names one secret.
type SecretIdInput struct{ SecretId string }

// DescribeSecretOutput is a secret's metadata, never its value.
type DescribeSecretOutput struct {
	ARN, Name          string
	Description        string `json:",omitempty"`
	CreatedDate        *epoch
	LastChangedDate    *epoch
	LastAccessedDate   *epoch `json:",omitempty"`
	DeletedDate        *epoch `json:",omitempty"`
	VersionIdsToStages map[string][]string
}

func (sec *secret) describe() DescribeSecretOutput {
	out := DescribeSecretOutput{
		ARN: sec.ARN, Name: sec.Name, Description: sec.Description,
		CreatedDate: toEpoch(sec.Created), LastChangedDate: toEpoch(sec.Changed),
		LastAccessedDate: toEpoch(sec.Accessed), DeletedDate: toEpoch(sec.Deleted),
		VersionIdsToStages: map[string][]string{},
	}
	for _, v := range sec.Versions {
		if len(v.Stages) > 0 {
			out.VersionIdsToStages[v.ID] = v.Stages
		}
	}
	return out
}

// DescribeSecret returns a secret's metadata, also while it is scheduled
// for deletion (with its DeletedDate).
func (s *Service) DescribeSecret(ctx context.Context, in SecretIdInput) (DescribeSecretOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.find(in.SecretId)
	if err != nil {
		return DescribeSecretOutput{}, err
	}
	if err := authorize(ctx, "DescribeSecret", sec.ARN); err != nil {
		return DescribeSecretOutput{}, err
	}
	return sec.describe(), nil
}

// ListSecretsInput pages over the secrets; Filters of key "name" or
// "description" match by prefix, as on AWS.
type ListSecretsInput struct {
	MaxResults             int
	NextToken              string
	IncludePlannedDeletion bool
	Filters                []struct {
		Key    string
		Values []string
	}
}

// ListSecretsOutput is one page.
type ListSecretsOutput struct {
	SecretList []DescribeSecretOutput
	NextToken  string `json:",omitempty"`
}

// ListSecrets lists secrets by name; the page token is the last name.
func (s *Service) ListSecrets(ctx context.Context, in ListSecretsInput) (ListSecretsOutput, error) {
	if err := authorize(ctx, "ListSecrets", "*"); err != nil {
		return ListSecretsOutput{}, err
	}
	limit := in.MaxResults
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purgeExpired()
	var all []*secret
	for _, sec := range s.secrets {
		if (!sec.Deleted.IsZero() && !in.IncludePlannedDeletion) || sec.Name <= in.NextToken || !sec.matches(in.Filters) {
			continue
		}
		all = append(all, sec)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	var out ListSecretsOutput
	for i, sec := range all {
		if i == limit {
			out.NextToken = all[i-1].Name
			break
		}
		out.SecretList = append(out.SecretList, sec.describe())
	}
	return out, nil
}

func (sec *secret) matches(filters []struct {
	Key    string
	Values []string
}) bool {
	for _, f := range filters {
		field := ""
		switch f.Key {
		case "name":
			field = sec.Name
		case "description":
			field = sec.Description
		default:
			continue
		}
		ok := false
		for _, v := range f.Values {
			if neg, isNeg := strings.CutPrefix(v, "!"); isNeg {
				ok = ok || !strings.HasPrefix(field, neg)
			} else {
				ok = ok || strings.HasPrefix(field, v)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// DeleteSecretInput schedules a deletion.
type DeleteSecretInput struct {
	SecretId                   string
	RecoveryWindowInDays       int
	ForceDeleteWithoutRecovery bool
}

// DeleteSecretOutput says when the secret goes.
type DeleteSecretOutput struct {
	ARN, Name    string
	DeletionDate *epoch
}

// DeleteSecret schedules the secret's deletion at the end of its recovery
// window (7 to 30 days, 30 by default); until then RestoreSecret brings it
// back and reading its value fails with InvalidRequestException.
// ForceDeleteWithoutRecovery deletes it at once. The window is measured on
// the service's clock and the secret is dropped at the first call after
// it ends.
func (s *Service) DeleteSecret(ctx context.Context, in DeleteSecretInput) (DeleteSecretOutput, error) {
	if in.ForceDeleteWithoutRecovery && in.RecoveryWindowInDays != 0 {
		return DeleteSecretOutput{}, awsjson.Errorf("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	days := in.RecoveryWindowInDays
	if days == 0 {
		days = defaultRecoveryDays
	}
	if !in.ForceDeleteWithoutRecovery && (days < minRecoveryDays || days > maxRecoveryDays) {
		return DeleteSecretOutput{}, awsjson.Errorf("InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.find(in.SecretId)
	if err != nil {
		return DeleteSecretOutput{}, err
	}
	if err := authorize(ctx, "DeleteSecret", sec.ARN); err != nil {
		return DeleteSecretOutput{}, err
	}
	now := s.opts.Now()
	if in.ForceDeleteWithoutRecovery {
		delete(s.secrets, sec.ARN)
		if err := s.save(); err != nil {
			return DeleteSecretOutput{}, err
		}
		return DeleteSecretOutput{ARN: sec.ARN, Name: sec.Name, DeletionDate: toEpoch(now)}, nil
	}
	if !sec.Deleted.IsZero() {
		return DeleteSecretOutput{}, awsjson.Errorf("InvalidRequestException", "You can't perform this operation on the secret because it was already scheduled for deletion.")
	}
	sec.Deleted, sec.Purge = now, now.Add(time.Duration(days)*24*time.Hour)
	if err := s.save(); err != nil {
		return DeleteSecretOutput{}, err
	}
	return DeleteSecretOutput{ARN: sec.ARN, Name: sec.Name, DeletionDate: toEpoch(sec.Purge)}, nil
}

// RestoreSecret cancels a scheduled deletion.
func (s *Service) RestoreSecret(ctx context.Context, in SecretIdInput) (SecretRef, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.find(in.SecretId)
	if err != nil {
		return SecretRef{}, err
	}
	if err := authorize(ctx, "RestoreSecret", sec.ARN); err != nil {
		return SecretRef{}, err
	}
	sec.Deleted, sec.Purge = time.Time{}, time.Time{}
	if err := s.save(); err != nil {
		return SecretRef{}, err
	}
	return SecretRef{ARN: sec.ARN, Name: sec.Name}, nil
}

// GetRandomPasswordOutput is a generated password.
type GetRandomPasswordOutput struct{ RandomPassword string }

// GetRandomPassword generates a password as GenerateSecretString does.
func (s *Service) GetRandomPassword(ctx context.Context, in Generate) (GetRandomPasswordOutput, error) {
	if err := authorize(ctx, "GetRandomPassword", "*"); err != nil {
		return GetRandomPasswordOutput{}, err
	}
	in.SecretStringTemplate, in.GenerateStringKey = "", ""
	pw, err := in.password(s.opts.Rand)
	return GetRandomPasswordOutput{RandomPassword: pw}, err
}

func (s *Service) operations() map[string]awsjson.Operation {
	return map[string]awsjson.Operation{
		"CreateSecret":      awsjson.Op(s.CreateSecret),
		"GetSecretValue":    awsjson.Op(s.GetSecretValue),
		"DescribeSecret":    awsjson.Op(s.DescribeSecret),
		"PutSecretValue":    awsjson.Op(s.PutSecretValue),
		"ListSecrets":       awsjson.Op(s.ListSecrets),
		"DeleteSecret":      awsjson.Op(s.DeleteSecret),
		"RestoreSecret":     awsjson.Op(s.RestoreSecret),
		"GetRandomPassword": awsjson.Op(s.GetRandomPassword),
	}
}
