package main

// Datastore capacity and free space a test can set. The simulator reports the host file system's
// figures (statfs of the datastore's directory, taken when the datastore is created or refreshed),
// so a test could not otherwise show a datastore too small for a restore.
//
//   PUT /vaultgate/datastore-space?dsName=LocalDS_0   {"capacity": <bytes>, "freeSpace": <bytes>}
//
// needs the configured credentials as basic auth, sets summary.capacity, summary.freeSpace and
// info.freeSpace, and tells the PropertyCollector. A later RefreshDatastore reads statfs again.

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

type spaceSetter struct {
	next       http.Handler
	user, pass string
}

func newSpaceSetter(next http.Handler, user, pass string) http.Handler {
	return &spaceSetter{next: next, user: user, pass: pass}
}

func (s *spaceSetter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/vaultgate/datastore-space" {
		s.next.ServeHTTP(w, r)
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != s.user || p != s.pass {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPut {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	var want struct {
		Capacity  *int64 `json:"capacity"`
		FreeSpace *int64 `json:"freeSpace"`
	}
	if err := json.NewDecoder(r.Body).Decode(&want); err != nil || want.Capacity == nil || want.FreeSpace == nil ||
		*want.FreeSpace < 0 || *want.FreeSpace > *want.Capacity {
		http.Error(w, "body must be {\"capacity\": bytes, \"freeSpace\": bytes} with 0 <= freeSpace <= capacity", http.StatusBadRequest)
		return
	}
	name := r.URL.Query().Get("dsName")
	var ds *simulator.Datastore
	for _, e := range simulator.Map.All("Datastore") {
		if d := e.(*simulator.Datastore); d.Name == name {
			ds = d
		}
	}
	if ds == nil {
		http.Error(w, fmt.Sprintf("no datastore %q", name), http.StatusNotFound)
		return
	}
	simulator.Map.WithLock(ds, func() {
		ds.Summary.Capacity = *want.Capacity
		ds.Summary.FreeSpace = *want.FreeSpace
		ds.Info.GetDatastoreInfo().FreeSpace = *want.FreeSpace
	})
	simulator.Map.Update(ds, []types.PropertyChange{{Name: "summary", Val: ds.Summary}})
	w.WriteHeader(http.StatusNoContent)
}
