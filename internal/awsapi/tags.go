package awsapi

import "github.com/gatehouse/gatehouse/internal/store"

// Tag is the Tag shape the IAM, Organizations and SSO Admin models share:
// Key and Value, under the same member names in JSON and in Query XML.
type Tag struct {
	Key   string `json:"Key" xml:"Key"`
	Value string `json:"Value" xml:"Value"`
}

// TagsIn converts the tags of a request to the store's.
func TagsIn(in []Tag) []store.Tag {
	out := make([]store.Tag, len(in))
	for i, t := range in {
		out[i] = store.Tag(t)
	}
	return out
}

// TagsOut converts stored tags to a response's; none is an empty list, not
// an absent one.
func TagsOut(in []store.Tag) []Tag {
	out := make([]Tag, len(in))
	for i, t := range in {
		out[i] = Tag(t)
	}
	return out
}

// TagConditions returns the condition keys of a request that sets tags and
// removes the tag keys removed: aws:RequestTag/<key> for each tag set, and
// aws:TagKeys naming the keys of both, set ones first.
func TagConditions(set []Tag, removed []string) Keys {
	var keys Keys
	for _, t := range set {
		keys.Tag(t.Key, t.Value)
	}
	if len(removed) > 0 {
		keys.Add("aws:TagKeys", removed...)
	}
	return keys
}
