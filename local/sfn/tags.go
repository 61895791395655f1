package sfn

import (
	"sort"
	"unicode/utf8"
)

// maxTags is Step Functions' limit of tags per resource.
const maxTags = 50

// validTags applies AWS's limits on tag keys and values.
func validTags(tags []Tag) error {
	if len(tags) > maxTags {
		return tooManyTags()
	}
	for _, t := range tags {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 {
			return apiErr("ValidationException", "1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", t.Key)
		}
		if utf8.RuneCountInString(t.Value) > 256 {
			return apiErr("ValidationException", "1 validation error detected: Value '%s' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256", t.Value)
		}
	}
	return nil
}

func mergeTags(have map[string]string, add []Tag) map[string]string {
	out := make(map[string]string, len(have)+len(add))
	for k, v := range have {
		out[k] = v
	}
	for _, t := range add {
		out[t.Key] = t.Value
	}
	return out
}

// taggable finds the state machine a tag operation names. Only state
// machines carry tags locally (there are no activities); versions cannot
// be tagged, as on AWS. s.mu must be held.
func (s *Service) taggableLocked(arn string) (*stateMachine, error) {
	base, n, err := splitMachineARN(arn)
	if err != nil {
		return nil, err
	}
	m, ok := s.machines[base]
	if !ok || n != 0 {
		return nil, apiErr("ResourceNotFound", "Resource not found: '%s'", arn)
	}
	return m, nil
}

// TagResource adds or replaces tags on a state machine.
func (s *Service) TagResource(in TagResourceInput) error {
	if err := validTags(in.Tags); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.taggableLocked(in.ResourceARN)
	if err != nil {
		return err
	}
	tags := mergeTags(m.Tags, in.Tags)
	if len(tags) > maxTags {
		return tooManyTags()
	}
	prev := m.Tags
	m.Tags = tags
	if err := s.saveMachinesLocked(); err != nil {
		m.Tags = prev
		return err
	}
	return nil
}

// UntagResource removes tags by key; keys that are not set are ignored.
func (s *Service) UntagResource(in UntagResourceInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.taggableLocked(in.ResourceARN)
	if err != nil {
		return err
	}
	prev := m.Tags
	tags := mergeTags(m.Tags, nil)
	for _, k := range in.TagKeys {
		delete(tags, k)
	}
	m.Tags = tags
	if err := s.saveMachinesLocked(); err != nil {
		m.Tags = prev
		return err
	}
	return nil
}

// ListTagsForResource lists a state machine's tags by key.
func (s *Service) ListTagsForResource(arn string) (ListTagsForResourceOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.taggableLocked(arn)
	if err != nil {
		return ListTagsForResourceOutput{}, err
	}
	out := ListTagsForResourceOutput{Tags: []Tag{}}
	for k, v := range m.Tags {
		out.Tags = append(out.Tags, Tag{Key: k, Value: v})
	}
	sort.Slice(out.Tags, func(i, j int) bool { return out.Tags[i].Key < out.Tags[j].Key })
	return out, nil
}

func tooManyTags() error {
	return apiErr("TooManyTags", "Too many tags: a resource has at most %d", maxTags)
}
