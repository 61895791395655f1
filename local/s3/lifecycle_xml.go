package s3

import (
	"encoding/xml"
	"net/http"
	"time"
)

// The XML form of a lifecycle configuration and its translation to and
// from LifecycleRule.

type lifecycleXML struct {
	XMLName xml.Name           `xml:"LifecycleConfiguration"`
	Xmlns   string             `xml:"xmlns,attr,omitempty"`
	Rules   []lifecycleRuleXML `xml:"Rule"`
}

type lifecycleRuleXML struct {
	ID         string              `xml:"ID,omitempty"`
	Prefix     *string             `xml:"Prefix"`
	Filter     *lifecycleFilterXML `xml:"Filter"`
	Status     string              `xml:"Status"`
	Expiration *struct {
		Days                      *int    `xml:"Days"`
		Date                      *string `xml:"Date"`
		ExpiredObjectDeleteMarker *bool   `xml:"ExpiredObjectDeleteMarker"`
	} `xml:"Expiration"`
	NoncurrentVersionExpiration *struct {
		NoncurrentDays          *int `xml:"NoncurrentDays"`
		NewerNoncurrentVersions *int `xml:"NewerNoncurrentVersions,omitempty"`
	} `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload *struct {
		DaysAfterInitiation *int `xml:"DaysAfterInitiation"`
	} `xml:"AbortIncompleteMultipartUpload"`
	// Present only to be refused: there is one storage class locally.
	Transitions           []struct{} `xml:"Transition"`
	NoncurrentTransitions []struct{} `xml:"NoncurrentVersionTransition"`
}

type lifecycleFilterXML struct {
	Prefix                *string `xml:"Prefix"`
	Tag                   *Tag    `xml:"Tag"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan"`
	And                   *struct {
		Prefix                *string `xml:"Prefix"`
		Tags                  []Tag   `xml:"Tag"`
		ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan"`
		ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan"`
	} `xml:"And"`
}

// positive reads a day count that, when present, S3 requires to be > 0;
// name is the element and action S3's message names.
func positive(p *int, name string) (int, *s3Error) {
	if p == nil {
		return 0, nil
	}
	if *p <= 0 {
		return 0, &s3Error{http.StatusBadRequest, "InvalidArgument", name + " must be a positive integer"}
	}
	return *p, nil
}

// rule translates one <Rule>, with S3's schema checks.
func (x lifecycleRuleXML) rule() (LifecycleRule, error) {
	r := LifecycleRule{ID: x.ID}
	switch x.Status {
	case "Enabled":
		r.Enabled = true
	case "Disabled":
	default:
		return r, errMalformedXML
	}
	if len(x.Transitions) > 0 || len(x.NoncurrentTransitions) > 0 {
		return r, notImplemented("lifecycle transitions (the local S3 has one storage class)")
	}
	switch {
	case x.Prefix != nil && x.Filter != nil, x.Prefix == nil && x.Filter == nil:
		return r, errMalformedXML
	case x.Prefix != nil:
		r.Prefix, r.LegacyPrefix = *x.Prefix, true
	default:
		if err := x.Filter.into(&r); err != nil {
			return r, err
		}
	}
	var e *s3Error
	if ex := x.Expiration; ex != nil {
		set := 0
		if r.ExpirationDays, e = positive(ex.Days, "'Days' for Expiration action"); e != nil {
			return r, e
		}
		if ex.Days != nil {
			set++
		}
		if ex.Date != nil {
			t, err := time.Parse(time.RFC3339, *ex.Date)
			if err != nil {
				return r, &s3Error{http.StatusBadRequest, "InvalidArgument", "'Date' must be an ISO 8601 date at midnight GMT"}
			}
			r.ExpirationDate, set = t.UTC(), set+1
		}
		if ex.ExpiredObjectDeleteMarker != nil {
			r.ExpiredObjectDeleteMarker, set = *ex.ExpiredObjectDeleteMarker, set+1
		}
		if set != 1 {
			return r, errMalformedXML
		}
	}
	if nc := x.NoncurrentVersionExpiration; nc != nil {
		if nc.NoncurrentDays == nil {
			return r, errMalformedXML
		}
		if r.NoncurrentDays, e = positive(nc.NoncurrentDays, "'NoncurrentDays' for NoncurrentVersionExpiration action"); e != nil {
			return r, e
		}
		if nc.NewerNoncurrentVersions != nil {
			r.NewerNoncurrentVersions = *nc.NewerNoncurrentVersions
		}
	}
	if a := x.AbortIncompleteMultipartUpload; a != nil {
		if a.DaysAfterInitiation == nil {
			return r, errMalformedXML
		}
		if r.AbortIncompleteUploadDays, e = positive(a.DaysAfterInitiation, "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action"); e != nil {
			return r, e
		}
	}
	return r, nil
}

// into reads a <Filter>, which holds exactly one of its elements.
func (f *lifecycleFilterXML) into(r *LifecycleRule) error {
	n := 0
	for _, set := range []bool{f.Prefix != nil, f.Tag != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil, f.And != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errMalformedXML
	}
	r.Prefix = deref(f.Prefix)
	if f.Tag != nil {
		r.Tags = []Tag{*f.Tag}
	}
	r.ObjectSizeGreaterThan, r.ObjectSizeLessThan = deref(f.ObjectSizeGreaterThan), deref(f.ObjectSizeLessThan)
	if a := f.And; a != nil {
		r.Prefix, r.Tags = deref(a.Prefix), a.Tags
		r.ObjectSizeGreaterThan, r.ObjectSizeLessThan = deref(a.ObjectSizeGreaterThan), deref(a.ObjectSizeLessThan)
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// lifecycleRuleToXML renders r as S3 returns it: a filter with one
// element bare, with several inside <And>.
func lifecycleRuleToXML(r LifecycleRule) lifecycleRuleXML {
	x := lifecycleRuleXML{ID: r.ID, Status: "Disabled"}
	if r.Enabled {
		x.Status = "Enabled"
	}
	if r.LegacyPrefix {
		x.Prefix = ptr(r.Prefix)
	} else {
		x.Filter = filterToXML(r)
	}
	if r.ExpirationDays > 0 || !r.ExpirationDate.IsZero() || r.ExpiredObjectDeleteMarker {
		x.Expiration = &struct {
			Days                      *int    `xml:"Days"`
			Date                      *string `xml:"Date"`
			ExpiredObjectDeleteMarker *bool   `xml:"ExpiredObjectDeleteMarker"`
		}{}
		switch {
		case r.ExpirationDays > 0:
			x.Expiration.Days = ptr(r.ExpirationDays)
		case !r.ExpirationDate.IsZero():
			x.Expiration.Date = ptr(r.ExpirationDate.UTC().Format("2006-01-02T15:04:05.000Z"))
		default:
			x.Expiration.ExpiredObjectDeleteMarker = ptr(true)
		}
	}
	if r.NoncurrentDays > 0 {
		x.NoncurrentVersionExpiration = &struct {
			NoncurrentDays          *int `xml:"NoncurrentDays"`
			NewerNoncurrentVersions *int `xml:"NewerNoncurrentVersions,omitempty"`
		}{NoncurrentDays: ptr(r.NoncurrentDays)}
		if r.NewerNoncurrentVersions > 0 {
			x.NoncurrentVersionExpiration.NewerNoncurrentVersions = ptr(r.NewerNoncurrentVersions)
		}
	}
	if r.AbortIncompleteUploadDays > 0 {
		x.AbortIncompleteMultipartUpload = &struct {
			DaysAfterInitiation *int `xml:"DaysAfterInitiation"`
		}{ptr(r.AbortIncompleteUploadDays)}
	}
	return x
}

func filterToXML(r LifecycleRule) *lifecycleFilterXML {
	f := &lifecycleFilterXML{}
	n := len(r.Tags)
	if r.Prefix != "" {
		n++
	}
	if r.ObjectSizeGreaterThan > 0 {
		n++
	}
	if r.ObjectSizeLessThan > 0 {
		n++
	}
	nonZero := func(v int64) *int64 {
		if v == 0 {
			return nil
		}
		return &v
	}
	switch {
	case n > 1:
		f.And = &struct {
			Prefix                *string `xml:"Prefix"`
			Tags                  []Tag   `xml:"Tag"`
			ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan"`
			ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan"`
		}{Tags: r.Tags, ObjectSizeGreaterThan: nonZero(r.ObjectSizeGreaterThan), ObjectSizeLessThan: nonZero(r.ObjectSizeLessThan)}
		if r.Prefix != "" {
			f.And.Prefix = ptr(r.Prefix)
		}
	case len(r.Tags) == 1:
		f.Tag = &r.Tags[0]
	case r.ObjectSizeGreaterThan > 0:
		f.ObjectSizeGreaterThan = nonZero(r.ObjectSizeGreaterThan)
	case r.ObjectSizeLessThan > 0:
		f.ObjectSizeLessThan = nonZero(r.ObjectSizeLessThan)
	default:
		f.Prefix = ptr(r.Prefix) // S3 answers an empty filter as <Prefix></Prefix>
	}
	return f
}
