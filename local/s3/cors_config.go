package s3

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// Put/Get/DeleteBucketCors. The rules go through SetCORS into the same
// table preflights and responses read, so a change takes effect with the
// next request, as on S3.

// maxCORSRules is S3's limit on the rules of one configuration.
const maxCORSRules = 100

type corsConfigurationXML struct {
	XMLName xml.Name      `xml:"CORSConfiguration"`
	Xmlns   string        `xml:"xmlns,attr,omitempty"`
	Rules   []corsRuleXML `xml:"CORSRule"`
}

type corsRuleXML struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds"`
}

// validateCORS applies S3's checks to a CORS configuration, with S3's
// error codes, so a configuration AWS would refuse is refused here too.
func validateCORS(rules []CORSRule) *s3Error {
	invalid := func(format string, args ...any) *s3Error {
		return &s3Error{http.StatusBadRequest, "InvalidRequest", fmt.Sprintf(format, args...)}
	}
	if len(rules) > maxCORSRules {
		return invalid("The number of CORS rules should not exceed allowed limit of %d rules.", maxCORSRules)
	}
	for _, r := range rules {
		if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			return errMalformedXML // both are required elements of the schema
		}
		if len(r.ID) > 255 {
			return &s3Error{http.StatusBadRequest, "InvalidArgument", "The ID of a CORS rule must be no longer than 255 characters"}
		}
		for _, m := range r.AllowedMethods {
			switch m {
			case "GET", "PUT", "POST", "DELETE", "HEAD":
			default:
				return invalid("Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return invalid("AllowedOrigin %q can not have more than one wildcard.", o)
			}
		}
		for _, h := range r.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				return invalid("AllowedHeader %q can not have more than one wildcard.", h)
			}
		}
		for _, h := range r.ExposeHeaders {
			if strings.Contains(h, "*") {
				return invalid("ExposeHeader %q contains wildcard. We currently do not support wildcard for ExposeHeader.", h)
			}
		}
		if r.MaxAgeSeconds < 0 {
			return errMalformedXML
		}
	}
	return nil
}

func (s *Server) putCORS(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	var doc corsConfigurationXML
	if err := readXML(r, &doc); err != nil {
		return err
	}
	if len(doc.Rules) == 0 {
		return errMalformedXML
	}
	rules := make([]CORSRule, len(doc.Rules))
	for i, x := range doc.Rules {
		rules[i] = CORSRule{ID: x.ID, AllowedOrigins: x.AllowedOrigins, AllowedMethods: x.AllowedMethods,
			AllowedHeaders: x.AllowedHeaders, ExposeHeaders: x.ExposeHeaders}
		if x.MaxAgeSeconds != nil {
			if *x.MaxAgeSeconds < 0 {
				return errMalformedXML
			}
			rules[i].MaxAgeSeconds = *x.MaxAgeSeconds
		}
	}
	if err := s.SetCORS(bucket, rules); err != nil {
		return err
	}
	writeOK(w)
	return nil
}

// errNoSuchCORS is GetBucketCors on a bucket without rules.
var errNoSuchCORS = &s3Error{http.StatusNotFound, "NoSuchCORSConfiguration", "The CORS configuration does not exist"}

func (s *Server) getCORS(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	s.corsMu.RLock()
	rules := s.cors[bucket]
	s.corsMu.RUnlock()
	if len(rules) == 0 {
		return errNoSuchCORS
	}
	doc := corsConfigurationXML{Xmlns: s3XMLNS}
	for _, rule := range rules {
		x := corsRuleXML{ID: rule.ID, AllowedHeaders: rule.AllowedHeaders, AllowedMethods: rule.AllowedMethods,
			AllowedOrigins: rule.AllowedOrigins, ExposeHeaders: rule.ExposeHeaders}
		if rule.MaxAgeSeconds > 0 {
			x.MaxAgeSeconds = &rule.MaxAgeSeconds
		}
		doc.Rules = append(doc.Rules, x)
	}
	writeXML(w, doc)
	return nil
}

// forgetCORS drops the rules of a deleted bucket: on S3 a bucket created
// again under the name starts without any.
func (s *Server) forgetCORS(bucket string) {
	if err := s.SetCORS(bucket, nil); err != nil {
		s.log.Error("dropping the CORS rules of a deleted bucket", "bucket", bucket, "error", err)
	}
}

func (s *Server) deleteCORS(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	if err := s.SetCORS(bucket, nil); err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}
