package data

import (
	"errors"
	"fmt"
	"strings"
)

// Roleplay's scorer persona. In the published dataset (sher222/persona-iterative-responses,
// loaded by the FSPO authors' get_roleplay in preference_datasets.py, which groups rows by
// `level` and hands str(score_persona) of the target row to the judge) `score_persona` is
// a struct; the sibling datasets' cards list its fields, e.g.
// https://huggingface.co/datasets/sher222/persona_short/blob/main/README.md:
//
//	score_persona: struct<persona_description: string, persona_uuid: string,
//	                      traits: struct<age: string, continent: string, gender: string, trait_uuid: string>>
//
// (persona_w and persona_l, the personas the two responses were written for, have the same
// struct; question is a struct too; all are ignored here.) Older exports store the persona
// description as a plain string, with `level` naming the user.
const (
	fieldPersonaDescription = "persona_description"
	fieldPersonaUUID        = "persona_uuid"
	fieldPersonaTraits      = "traits"
)

// roleplayPersona is score_persona decoded: the user (persona_uuid, or the row's level for
// a plain-string persona), the description shown to the judge and the traits.
type roleplayPersona struct {
	User, Description string
	Traits            map[string]string
}

// parseRoleplayPersona reads score_persona as a struct (an object, or JSON text of one) or
// as a plain description string; level is the row's `level` ("" when absent).
func parseRoleplayPersona(rec record, src Source, level string) (roleplayPersona, error) {
	v, ok := rec[ColRoleplayPersona]
	if !ok || v == nil {
		return roleplayPersona{}, fieldErr(src, ColRoleplayPersona, errMissing)
	}
	if s, isStr := asString(v); isStr {
		if m, ok := jsonObjectText(s); ok {
			v = m
		} else {
			if strings.TrimSpace(s) == "" {
				return roleplayPersona{}, fieldErr(src, ColRoleplayPersona, errors.New("empty string"))
			}
			if level == "" {
				return roleplayPersona{}, fieldErr(src, ColRoleplayLevel, fmt.Errorf("%w (a plain-string score_persona needs level to name the user)", errMissing))
			}
			return roleplayPersona{User: level, Description: s}, nil
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return roleplayPersona{}, fieldErr(src, ColRoleplayPersona, fmt.Errorf("want a struct {persona_description, persona_uuid, traits} or a string, got %s", jsonKind(v)))
	}
	sub := func(f string) string { return ColRoleplayPersona + "." + f }
	var p roleplayPersona
	var err error
	if p.User, err = record(m).idString(fieldPersonaUUID); err != nil {
		return p, fieldErr(src, sub(fieldPersonaUUID), err)
	}
	if p.Description, err = record(m).str(fieldPersonaDescription); err != nil {
		return p, fieldErr(src, sub(fieldPersonaDescription), err)
	}
	if t, ok := m[fieldPersonaTraits]; ok && t != nil {
		tm, ok := t.(map[string]any)
		if !ok {
			return p, fieldErr(src, sub(fieldPersonaTraits), fmt.Errorf("want a struct, got %s", jsonKind(t)))
		}
		p.Traits = map[string]string{}
		for k, tv := range tm {
			switch x := tv.(type) {
			case nil:
			case string:
				p.Traits[k] = x
			case []byte:
				p.Traits[k] = string(x)
			default:
				if f, ok := toFloat(x); ok {
					p.Traits[k] = fmt.Sprint(f)
				} else if b, ok := x.(bool); ok {
					p.Traits[k] = fmt.Sprint(b)
				} else {
					return p, fieldErr(src, sub(fieldPersonaTraits)+"."+k, fmt.Errorf("want a scalar, got %s", jsonKind(tv)))
				}
			}
		}
	}
	return p, nil
}

// asString returns v as a string when it is one (string or bytes).
func asString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// jsonObjectText decodes s when it is JSON text of an object (some exports serialise
// struct columns as JSON strings).
func jsonObjectText(s string) (map[string]any, bool) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{") {
		return nil, false
	}
	r, err := parseJSONObject([]byte(t))
	if err != nil {
		return nil, false
	}
	return r, true
}
