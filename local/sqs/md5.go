package sqs

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"
)

// MessageAttribute is one message attribute as the JSON protocol carries
// it.
type MessageAttribute struct {
	DataType    string
	StringValue *string `json:",omitempty"`
	BinaryValue []byte  `json:",omitempty"`
}

func md5Hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}

// attributesMD5 is MD5OfMessageAttributes as SQS computes it, which the
// SDKs check: for each attribute by name, the length-prefixed name, data
// type, a transport byte (1 string, 2 binary) and length-prefixed value.
func attributesMD5(attrs map[string]MessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf []byte
	field := func(b []byte) {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
		buf = append(buf, b...)
	}
	for _, n := range names {
		a := attrs[n]
		field([]byte(n))
		field([]byte(a.DataType))
		if a.StringValue != nil {
			buf = append(buf, 1)
			field([]byte(*a.StringValue))
		} else {
			buf = append(buf, 2)
			field(a.BinaryValue)
		}
	}
	return md5Hex(buf)
}
