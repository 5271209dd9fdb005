package main

// State a test sets that the simulator has no API for, each with the configured credentials as basic
// auth, each telling the PropertyCollector:
//
//   PUT /vaultgate/datastore-space?dsName=LocalDS_0   {"capacity": <bytes>, "freeSpace": <bytes>}
//
// sets summary.capacity, summary.freeSpace and info.freeSpace. The simulator reports the host file
// system's figures (statfs of the datastore's directory, taken when the datastore is created or
// refreshed), so a test could not otherwise show a datastore too small for a restore. A later
// RefreshDatastore reads statfs again.
//
//   PUT /vaultgate/vm-tools?vm=DC0_H0_VM0   {"toolsRunningStatus": "guestToolsRunning"}
//
// sets guest.toolsRunningStatus (and guest.toolsStatus: toolsOk when running, else toolsNotRunning).
// The simulator's VMs never run VMware Tools, which quiescing a snapshot needs.

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// adminEndpoints serves the two paths above and passes everything else on.
type spaceSetter struct {
	next       http.Handler
	user, pass string
}

func newSpaceSetter(next http.Handler, user, pass string) http.Handler {
	return &spaceSetter{next: next, user: user, pass: pass}
}

func (s *spaceSetter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/vaultgate/datastore-space" && r.URL.Path != "/vaultgate/vm-tools" {
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
	if r.URL.Path == "/vaultgate/vm-tools" {
		setTools(w, r)
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

func setTools(w http.ResponseWriter, r *http.Request) {
	var want struct {
		ToolsRunningStatus string `json:"toolsRunningStatus"`
	}
	if err := json.NewDecoder(r.Body).Decode(&want); err != nil ||
		(want.ToolsRunningStatus != "guestToolsRunning" && want.ToolsRunningStatus != "guestToolsNotRunning") {
		http.Error(w, "body must be {\"toolsRunningStatus\": \"guestToolsRunning\" or \"guestToolsNotRunning\"}", http.StatusBadRequest)
		return
	}
	name := r.URL.Query().Get("vm")
	var vm *simulator.VirtualMachine
	for _, e := range simulator.Map.All("VirtualMachine") {
		if v := e.(*simulator.VirtualMachine); v.Name == name {
			vm = v
		}
	}
	if vm == nil {
		http.Error(w, fmt.Sprintf("no VM %q", name), http.StatusNotFound)
		return
	}
	status := types.VirtualMachineToolsStatusToolsNotRunning
	if want.ToolsRunningStatus == "guestToolsRunning" {
		status = types.VirtualMachineToolsStatusToolsOk
	}
	simulator.Map.WithLock(vm, func() {
		vm.Guest.ToolsRunningStatus = want.ToolsRunningStatus
		vm.Guest.ToolsStatus = status
	})
	simulator.Map.Update(vm, []types.PropertyChange{{Name: "guest", Val: vm.Guest}})
	w.WriteHeader(http.StatusNoContent)
}
