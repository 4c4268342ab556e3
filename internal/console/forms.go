package console

import (
	"html"
	"html/template"
	"net/url"
	"strings"
)

// Form controls, rendered in Go so that every control gets the same
// accessible markup: a label tied to the control, an optional hint, and
// an error message next to the field, announced through
// aria-describedby and aria-invalid. Every value is escaped here with
// html.EscapeString (double-quoted attributes and text), so the result is
// safe as template.HTML.

// control describes a field from its options: "required", "type=email",
// "hint=…", "autocomplete=…", "value=…" (used when the form has no value),
// "rows=…", "options=A:Label A|B:Label B".
type control struct {
	name, label, value, typ, hint, autocomplete, rows, err string
	required                                               bool
	options                                                [][2]string
}

func newControl(form url.Values, errs map[string]string, name, label string, opts []string) control {
	c := control{name: name, label: label, typ: "text", err: errs[name]}
	def := ""
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "required":
			c.required = true
		case "type":
			c.typ = v
		case "hint":
			c.hint = v
		case "autocomplete":
			c.autocomplete = v
		case "value":
			def = v
		case "rows":
			c.rows = v
		case "options":
			for _, opt := range strings.Split(v, "|") {
				val, lab, ok := strings.Cut(opt, ":")
				if !ok {
					lab = val
				}
				c.options = append(c.options, [2]string{val, lab})
			}
		}
	}
	if vs, ok := form[name]; ok && len(vs) > 0 {
		c.value = vs[0]
	} else {
		c.value = def
	}
	return c
}

// id turns a field name into an element id.
func fieldID(name string) string {
	return "f-" + strings.NewReplacer(".", "-", " ", "-").Replace(name)
}

func (c control) open(b *strings.Builder) string {
	id := fieldID(c.name)
	b.WriteString(`<div class="field"><label for="` + id + `">` + html.EscapeString(c.label))
	if c.required {
		b.WriteString(` <span class="muted">(required)</span>`)
	}
	b.WriteString(`</label>`)
	return id
}

func (c control) attrs(b *strings.Builder, id string) {
	b.WriteString(` id="` + id + `" name="` + html.EscapeString(c.name) + `"`)
	if c.required {
		b.WriteString(` required`)
	}
	if c.autocomplete != "" {
		b.WriteString(` autocomplete="` + html.EscapeString(c.autocomplete) + `"`)
	}
	var described []string
	if c.hint != "" {
		described = append(described, id+"-hint")
	}
	if c.err != "" {
		described = append(described, id+"-err")
		b.WriteString(` aria-invalid="true"`)
	}
	if len(described) > 0 {
		b.WriteString(` aria-describedby="` + strings.Join(described, " ") + `"`)
	}
}

func (c control) close(b *strings.Builder, id string) template.HTML {
	if c.hint != "" {
		b.WriteString(`<p class="hint" id="` + id + `-hint">` + html.EscapeString(c.hint) + `</p>`)
	}
	if c.err != "" {
		b.WriteString(`<p class="field-error" id="` + id + `-err">` + html.EscapeString(c.err) + `</p>`)
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String()) //nolint:gosec // every value escaped above
}

// inputHTML renders a labelled <input>.
func inputHTML(form url.Values, errs map[string]string, name, label string, opts ...string) template.HTML {
	c := newControl(form, errs, name, label, opts)
	var b strings.Builder
	id := c.open(&b)
	b.WriteString(`<input type="` + html.EscapeString(c.typ) + `" value="` + html.EscapeString(c.value) + `"`)
	c.attrs(&b, id)
	b.WriteString(`>`)
	return c.close(&b, id)
}

// textareaHTML renders a labelled <textarea> (class code for documents).
func textareaHTML(form url.Values, errs map[string]string, name, label string, opts ...string) template.HTML {
	c := newControl(form, errs, name, label, opts)
	var b strings.Builder
	id := c.open(&b)
	rows := c.rows
	if rows == "" {
		rows = "12"
	}
	b.WriteString(`<textarea class="code" spellcheck="false" rows="` + html.EscapeString(rows) + `"`)
	c.attrs(&b, id)
	b.WriteString(`>` + html.EscapeString(c.value) + `</textarea>`)
	return c.close(&b, id)
}

// selectHTML renders a labelled <select>.
func selectHTML(form url.Values, errs map[string]string, name, label string, opts ...string) template.HTML {
	c := newControl(form, errs, name, label, opts)
	var b strings.Builder
	id := c.open(&b)
	b.WriteString(`<select`)
	c.attrs(&b, id)
	b.WriteString(`>`)
	for _, o := range c.options {
		b.WriteString(`<option value="` + html.EscapeString(o[0]) + `"`)
		if o[0] == c.value {
			b.WriteString(` selected`)
		}
		b.WriteString(`>` + html.EscapeString(o[1]) + `</option>`)
	}
	b.WriteString(`</select>`)
	return c.close(&b, id)
}

// checkboxHTML renders a labelled checkbox whose value is "true"; it is
// checked when the form says "true" (or, without a value, by
// "value=true").
func checkboxHTML(form url.Values, errs map[string]string, name, label string, opts ...string) template.HTML {
	c := newControl(form, errs, name, label, opts)
	id := fieldID(c.name)
	var b strings.Builder
	b.WriteString(`<div class="field"><label class="check" for="` + id + `"><input type="checkbox" value="true"`)
	if c.value == "true" {
		b.WriteString(` checked`)
	}
	c.required = false
	c.attrs(&b, id)
	b.WriteString(`> <span>` + html.EscapeString(c.label) + `</span></label>`)
	return c.close(&b, id)
}
