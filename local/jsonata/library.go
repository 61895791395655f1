package jsonata

import "math"

// globalEnv holds the function library; every evaluation's frames chain to
// it. It is built once and never written afterwards.
var globalEnv = &env{global: map[string]any{}}

// def registers a built-in with its signature, which is checked on every
// call.
func def(name, sig string, fn func(c *callCtx, a []any) (any, error)) {
	var s *signature
	if sig != "" {
		var err error
		if s, err = parseSignature(sig); err != nil {
			panic(name + ": " + err.Error())
		}
	}
	globalEnv.global[name] = &builtin{name: name, sig: s, fn: fn}
}

func init() {
	// aggregation
	def("sum", "<a<n>:n>", fnSum)
	def("count", "<a:n>", fnCount)
	def("max", "<a<n>:n>", fnMax)
	def("min", "<a<n>:n>", fnMin)
	def("average", "<a<n>:n>", fnAverage)
	// strings
	def("string", "<x-b?:s>", fnString)
	def("substring", "<s-nn?:s>", fnSubstring)
	def("substringBefore", "<s-s:s>", fnSubstringBefore)
	def("substringAfter", "<s-s:s>", fnSubstringAfter)
	def("lowercase", "<s-:s>", fnLower)
	def("uppercase", "<s-:s>", fnUpper)
	def("length", "<s-:n>", fnLength)
	def("trim", "<s-:s>", fnTrim)
	def("pad", "<s-ns?:s>", fnPad)
	def("match", "<s-f<s:o>n?:a<o>>", fnMatch)
	def("contains", "<s-(sf):b>", fnContains)
	def("replace", "<s-(sf)(sf)n?:s>", fnReplace)
	def("split", "<s-(sf)n?:a<s>>", fnSplit)
	def("join", "<a<s>s?:s>", fnJoin)
	def("base64encode", "<s-:s>", fnBase64Encode)
	def("base64decode", "<s-:s>", fnBase64Decode)
	def("encodeUrlComponent", "<s-:s>", urlFunc("encodeUrlComponent", true, uriUnreserved))
	def("encodeUrl", "<s-:s>", urlFunc("encodeUrl", true, uriUnreserved+";,/?:@&=+$#"))
	def("decodeUrlComponent", "<s-:s>", urlFunc("decodeUrlComponent", false, ""))
	def("decodeUrl", "<s-:s>", urlFunc("decodeUrl", false, ";,/?:@&=+$#"))
	// numbers
	def("formatNumber", "<n-so?:s>", fnFormatNumber)
	def("formatBase", "<n-n?:s>", fnFormatBase)
	def("formatInteger", "<n-s:s>", fnFormatInteger)
	def("parseInteger", "<s-s:n>", fnParseInteger)
	def("number", "<(nsb)-:n>", fnNumber)
	def("floor", "<n-:n>", num1(math.Floor))
	def("ceil", "<n-:n>", num1(math.Ceil))
	def("round", "<n-n?:n>", fnRound)
	def("abs", "<n-:n>", num1(math.Abs))
	def("sqrt", "<n-:n>", fnSqrt)
	def("power", "<n-n:n>", fnPower)
	def("random", "<:n>", fnRandom)
	// booleans
	def("boolean", "<x-:b>", fnBoolean)
	def("not", "<x-:b>", fnNot)
	def("exists", "<x:b>", fnExists)
	// higher order
	def("map", "<af>", fnMap)
	def("zip", "<a+>", fnZip)
	def("filter", "<af>", fnFilter)
	def("single", "<af?>", fnSingle)
	def("reduce", "<afj?:j>", fnReduce)
	def("sift", "<o-f?:o>", fnSift)
	def("each", "<o-f:a>", fnEach)
	// objects and arrays
	def("keys", "<x-:a<s>>", fnKeys)
	def("lookup", "<x-s:x>", fnLookup)
	def("append", "<xx:a>", fnAppend)
	def("spread", "<x-:a<o>>", fnSpread)
	def("merge", "<a<o>:o>", fnMerge)
	def("reverse", "<a:a>", fnReverse)
	def("sort", "<af?:a>", fnSort)
	def("shuffle", "<a:a>", fnShuffle)
	def("distinct", "<x:x>", fnDistinct)
	def("error", "<s?:x>", fnError)
	def("assert", "<bs?:x>", fnAssert)
	def("type", "<x:s>", fnType)
	def("clone", "<(oa)-:o>", fnClone)
	def("eval", "<sx?:x>", fnEval)
	// date and time
	def("now", "<s?s?:s>", fnNow)
	def("millis", "<:n>", fnMillis)
	def("fromMillis", "<n-s?s?:s>", fnFromMillis)
	def("toMillis", "<s-s?:n>", fnToMillis)
}

func fnMillis(c *callCtx, a []any) (any, error) {
	return float64(c.ev.now.UnixMilli()), nil
}

func fnNow(c *callCtx, a []any) (any, error) {
	return formatMillis(c.ev.now.UnixMilli(), a[0], a[1])
}
