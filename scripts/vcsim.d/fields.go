package main

// Custom attribute values as vCenter keeps them. The simulator's SetField appends a value for the
// key each time (so a VM gathers several values of one attribute) and does not tell the
// PropertyCollector, so WaitForUpdatesEx never reports a changed attribute. This layer lets the
// simulator run SetField, then keeps only the newest value per key and publishes "customValue"
// and "value" as changed properties, as vCenter's change feed does.

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type fieldNotifier struct {
	next http.Handler
}

func newFieldNotifier(next http.Handler) http.Handler {
	return &fieldNotifier{next: next}
}

func (f *fieldNotifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/sdk") {
		f.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !bytes.Contains(body, []byte("SetField")) {
		f.next.ServeHTTP(w, r)
		return
	}
	method, err := simulator.UnmarshalBody(types.TypeFunc(), body)
	req, ok := method.Body.(*types.SetField)
	if err != nil || !ok {
		f.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	f.next.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK && !bytes.Contains(rec.Body.Bytes(), []byte("Fault>")) {
		publishFields(req.Entity)
	}
	copyResponse(w, rec)
}

func publishFields(ref types.ManagedObjectReference) {
	obj := simulator.Map.Get(ref)
	entity, ok := obj.(mo.Entity)
	if !ok {
		return
	}
	simulator.Map.WithLock(obj, func() {
		e := entity.Entity()
		e.CustomValue = newestPerKey(e.CustomValue)
		e.Value = newestPerKey(e.Value)
		simulator.Map.Update(obj, []types.PropertyChange{
			{Name: "customValue", Op: types.PropertyChangeOpAssign, Val: e.CustomValue},
			{Name: "value", Op: types.PropertyChangeOpAssign, Val: e.Value},
		})
	})
}

// newestPerKey keeps the last value of each key, in the order keys first appeared.
func newestPerKey(values []types.BaseCustomFieldValue) []types.BaseCustomFieldValue {
	index := map[int32]int{}
	var out []types.BaseCustomFieldValue
	for _, v := range values {
		key := v.GetCustomFieldValue().Key
		if i, seen := index[key]; seen {
			out[i] = v
			continue
		}
		index[key] = len(out)
		out = append(out, v)
	}
	return out
}
