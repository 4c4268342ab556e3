package s3gw

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestHoldback checks that the reader passes every byte through when its
// source ends cleanly, however the reads are sized, and never the last byte
// when the source fails at its end.
func TestHoldback(t *testing.T) {
	data := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	readers := map[string]func() io.Reader{
		"plain":    func() io.Reader { return bytes.NewReader(data) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
	}
	for name, src := range readers {
		for _, size := range []int{1, 2, 3, 7, 64} {
			got, err := readIn(&holdback{r: src()}, size)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s, reads of %d: got %q, %v", name, size, got, err)
			}
			// Bounded by the length, as the HTTP transport reads a body
			// with a Content-Length.
			got, err = io.ReadAll(io.LimitReader(&holdback{r: src()}, int64(len(data))))
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s, limited: got %q, %v", name, got, err)
			}
		}
	}
	bad := errors.New("signature mismatch at the end")
	for _, size := range []int{1, 2, 5, 64} {
		src := io.MultiReader(bytes.NewReader(data), iotest.ErrReader(bad))
		got, err := readIn(&holdback{r: src}, size)
		if !errors.Is(err, bad) {
			t.Fatalf("reads of %d: error %v", size, err)
		}
		if len(got) >= len(data) {
			t.Fatalf("reads of %d: %d bytes passed before the failure, want fewer than %d", size, len(got), len(data))
		}
	}
}

func readIn(r io.Reader, size int) ([]byte, error) {
	var out []byte
	buf := make([]byte, size)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// TestCopyBufferSizes: a response body takes a buffer by its length, and
// the large buffers are bounded in number (a download that finds none
// free takes the medium one).
func TestCopyBufferSizes(t *testing.T) {
	g := &Gateway{largeSlots: make(chan struct{}, 2)}
	g.bufs.New = func() any { b := make([]byte, copyBufferSize); return &b }
	g.smallBufs.New = func() any { b := make([]byte, smallCopyBufferSize); return &b }
	g.largeBufs.New = func() any { b := make([]byte, largeCopyBufferSize); return &b }
	for _, c := range []struct {
		n    int64
		want int
	}{{0, smallCopyBufferSize}, {4096, smallCopyBufferSize}, {-1, copyBufferSize}, {1 << 20, copyBufferSize}, {1 << 30, largeCopyBufferSize}} {
		b, release := g.copyBuffer(c.n)
		if len(b) != c.want {
			t.Errorf("body of %d bytes: buffer of %d, want %d", c.n, len(b), c.want)
		}
		release()
	}
	var releases []func()
	for i, want := range []int{largeCopyBufferSize, largeCopyBufferSize, copyBufferSize} {
		b, release := g.copyBuffer(1 << 30)
		if len(b) != want {
			t.Errorf("large download %d: buffer of %d, want %d", i, len(b), want)
		}
		releases = append(releases, release)
	}
	for _, r := range releases {
		r()
	}
	if b, release := g.copyBuffer(1 << 30); len(b) != largeCopyBufferSize {
		t.Errorf("after release: buffer of %d, want %d", len(b), largeCopyBufferSize)
	} else {
		release()
	}
}
