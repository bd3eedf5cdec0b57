package scha

import (
	"bytes"
	"testing"
)

type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestFormatShell(t *testing.T) {
	tests := []struct {
		name    string
		typ     ResultType
		ext     string
		values  []string
		want    string
		wantErr bool
	}{
		{"string", ResultString, "", []string{"hello world"}, "hello world\n", false},
		{"empty string", ResultString, "", []string{""}, "\n", false},
		{"unset string", ResultString, "", nil, "\n", false},
		{"int", ResultInt, "", []string{"-1"}, "-1\n", false},
		{"uint", ResultUint, "", []string{"2"}, "2\n", false},
		{"enum keeps case", ResultEnum, "", []string{"Failover"}, "Failover\n", false},
		{"boolean", ResultBoolean, "", []string{"TRUE"}, "TRUE\n", false},
		{"boolean lower", ResultBoolean, "", []string{"false"}, "FALSE\n", false},
		{"boolean bad", ResultBoolean, "", []string{"yes"}, "", true},
		{"boolean none", ResultBoolean, "", nil, "", true},
		{"array", ResultStringArray, "", []string{"a", "b", "c"}, "a\nb\nc\n", false},
		{"empty array", ResultStringArray, "", nil, "", false},
		{"all", ResultStringArray, "", []string{"*"}, "*\n", false},
		{"uint array", ResultUintArray, "", []string{"1", "2"}, "1\n2\n", false},
		{"extension int", ResultExtension, "INT", []string{"120"}, "INT\n120\n", false},
		{"extension bool", ResultExtension, "BOOLEAN", []string{"true"}, "BOOLEAN\nTRUE\n", false},
		{"extension enum", ResultExtension, "ENUM", []string{"Normal"}, "ENUM\nNormal\n", false},
		{"extension array", ResultExtension, "STRINGARRAY", []string{"/a", "/b"}, "STRINGARRAY\n/a\n/b\n", false},
		{"extension empty array", ResultExtension, "STRINGARRAY", nil, "STRINGARRAY\n", false},
		{"extension string", ResultExtension, "STRING", []string{""}, "STRING\n\n", false},
		{"extension unknown type", ResultExtension, "FLOAT", []string{"1"}, "", true},
		{"status", ResultStatus, "", []string{"DEGRADED", "slow replies"}, "DEGRADED\nslow replies\n", false},
		{"status empty msg", ResultStatus, "", []string{"OK", ""}, "OK\n\n", false},
		{"status no msg", ResultStatus, "", []string{"OK"}, "OK\n\n", false},
		{"status none", ResultStatus, "", nil, "", true},
		{"two scalars", ResultInt, "", []string{"1", "2"}, "", true},
		{"newline", ResultString, "", []string{"a\nb"}, "", true},
		{"unknown type", ResultType("float"), "", []string{"1"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w countingWriter
			err := FormatShell(&w, tt.typ, tt.ext, tt.values)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if CodeOf(err) != ErrInternal {
					t.Errorf("code = %v, want ErrInternal", CodeOf(err))
				}
				if w.Len() != 0 {
					t.Errorf("wrote %q on error", w.String())
				}
				return
			}
			if got := w.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if w.writes > 1 {
				t.Errorf("%d writes, want at most one", w.writes)
			}
		})
	}
}
