// Changed Block Tracking for the simulator, which has none (QueryChangedDiskAreas answers
// MethodNotFound and snapshots make no delta disks).
//
// The model: a VM's disk content is the extent file of its backing, "<name>-flat.vmdk" beside the
// descriptor "<name>.vmdk" (or the backing file itself when it has no -flat extent), a raw image
// written by datastore HTTP PUTs or on the local disk. At each CreateSnapshot_Task of a VM whose
// config.changeTrackingEnabled is true, every disk's file is hashed in 64 KiB blocks and the hashes
// are stored under a new changeId; the snapshot's config (and the VM's live config) show that
// changeId in the disk's backing.changeId, as vSphere does. QueryChangedDiskAreas(vm, snapshot,
// deviceKey, startOffset, changeId) compares the snapshot's hashes with those of changeId ("*":
// with zeros) and answers the differing blocks, coalesced, in a DiskChangeInfo covering
// [startOffset, capacity).
//
// changeIds look like vSphere's: "<16 hex bytes of the disk's tracking epoch>/<sequence>". Turning
// change tracking off (ReconfigVM) forgets the epoch, so older changeIds become unknown and the
// query fails with a FileFault, as vCenter does after a CBT reset; a malformed changeId gets an
// InvalidArgument.
//
// It sits in front of the simulator's HTTP mux: SOAP requests are parsed with the simulator's own
// decoder; QueryChangedDiskAreas is answered here, CreateSnapshot_Task and ReconfigVM_Task pass
// through and are followed up here; everything else passes through untouched. It also makes
// datastore file access (/folder/...) require a session cookie or basic auth, as vCenter does.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

const (
	seekData  = 3 // lseek SEEK_DATA (Linux)
	blockSize = 64 << 10
	hashSize  = 16 // 128-bit hash per block, see blockHash
	// States kept per disk; older changeIds become unknown (FileFault), like an expired CBT epoch.
	maxStates = 256
)

// Block hashes only ever meet hashes of the same process, so the runtime's AES-based hash (two
// seeds: 128 bits, 10+ GB/s) serves; SHA-256 managed 250 MB/s here.
var seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func blockHash(b []byte) (h [hashSize]byte) {
	for i, seed := range seeds {
		var m maphash.Hash
		m.SetSeed(seed)
		_, _ = m.Write(b)
		binary.LittleEndian.PutUint64(h[8*i:], m.Sum64())
	}
	return h
}

var zeroBlockHash = blockHash(make([]byte, blockSize))

type diskID struct {
	vm  string // VM moref value
	key int32  // device key
}

type diskState struct {
	capacity int64
	hashes   []byte // hashSize bytes per block
}

type diskTrack struct {
	epoch  string // "52 1a ... 9f-0c ... 77": the tracking identity, 16 bytes
	seq    int
	states map[string]*diskState
	order  []string
}

type cbt struct {
	next       http.Handler
	user, pass string
	mu         sync.Mutex
	// disks being tracked; guarded by mu
	disks map[diskID]*diskTrack
}

func newCBT(next http.Handler, user, pass string) http.Handler {
	return &cbt{next: next, user: user, pass: pass, disks: map[diskID]*diskTrack{}}
}

func (c *cbt) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/folder/") {
		// vCenter serves datastore files to a logged-in session (cookie) or to basic auth; the
		// simulator to anyone.
		if u, p, ok := r.BasicAuth(); ok {
			if u != c.user || p != c.pass {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		} else if !c.authenticated(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="VMware HTTP server"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		c.next.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/sdk") {
		c.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	var kind string
	switch {
	case bytes.Contains(body, []byte("QueryChangedDiskAreas")):
		kind = "QueryChangedDiskAreas"
	case bytes.Contains(body, []byte("CreateSnapshot_Task")):
		kind = "CreateSnapshot_Task"
	case bytes.Contains(body, []byte("ReconfigVM_Task")):
		kind = "ReconfigVM_Task"
	default:
		c.next.ServeHTTP(w, r)
		return
	}
	method, err := simulator.UnmarshalBody(types.TypeFunc(), body)
	if err != nil || method.Name != kind {
		c.next.ServeHTTP(w, r)
		return
	}

	switch req := method.Body.(type) {
	case *types.QueryChangedDiskAreas:
		if !c.authenticated(r) {
			writeFault(w, "The session is not authenticated.", &types.NotAuthenticated{
				NoPermission: types.NoPermission{Object: req.This, PrivilegeId: "System.View"},
			})
			return
		}
		info, fault, msg := c.query(req)
		if fault != nil {
			writeFault(w, msg, fault)
			return
		}
		writeResult(w, &types.QueryChangedDiskAreasResponse{Returnval: *info})
	case *types.CreateSnapshot_Task:
		if n := snapshotCount(req.This); n >= maxSnapshots {
			// vSphere refuses a 33rd level of snapshots; the simulator had no limit.
			writeFault(w, fmt.Sprintf("The VM already has %d snapshots, the most it can have.", n), &types.TooManySnapshotLevels{})
			return
		}
		rec := httptest.NewRecorder()
		c.next.ServeHTTP(rec, r)
		if task := taskRef(rec.Body.Bytes()); task != nil {
			c.afterSnapshot(req.This, *task)
		}
		copyResponse(w, rec)
	case *types.ReconfigVM_Task:
		rec := httptest.NewRecorder()
		c.next.ServeHTTP(rec, r)
		c.afterReconfigure(req.This)
		copyResponse(w, rec)
	default:
		c.next.ServeHTTP(w, r)
	}
}

// authenticated asks the simulator whether the request's session cookie is logged in, with a
// CurrentTime call (refused without a session).
func (c *cbt) authenticated(r *http.Request) bool {
	probe := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
		`<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></CurrentTime></soapenv:Body></soapenv:Envelope>`
	req := httptest.NewRequest(http.MethodPost, "/sdk", strings.NewReader(probe))
	for _, ck := range r.Cookies() {
		req.AddCookie(ck)
	}
	req.Header.Set("Content-Type", "text/xml")
	rec := httptest.NewRecorder()
	c.next.ServeHTTP(rec, req)
	return rec.Code == http.StatusOK
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

var taskRE = regexp.MustCompile(`<returnval type="Task">([^<]+)</returnval>`)

func taskRef(body []byte) *types.ManagedObjectReference {
	m := taskRE.FindSubmatch(body)
	if m == nil {
		return nil
	}
	return &types.ManagedObjectReference{Type: "Task", Value: string(m[1])}
}

// afterSnapshot records the disks' block hashes of a snapshot just taken (the simulator runs the
// task before answering) and writes the new changeIds into the snapshot's and the VM's config.
func (c *cbt) afterSnapshot(vmRef, taskRef types.ManagedObjectReference) {
	task, ok := simulator.Map.Get(taskRef).(*simulator.Task)
	if !ok {
		return
	}
	var snapRef types.ManagedObjectReference
	simulator.Map.WithLock(task, func() {
		if task.Info.State == types.TaskInfoStateSuccess {
			if ref, ok := task.Info.Result.(types.ManagedObjectReference); ok {
				snapRef = ref
			}
		}
	})
	if snapRef.Value == "" {
		return
	}
	vm, ok := simulator.Map.Get(vmRef).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	snap, ok := simulator.Map.Get(snapRef).(*simulator.VirtualMachineSnapshot)
	if !ok {
		return
	}

	type diskFile struct {
		key      int32
		file     string
		capacity int64
	}
	var disks []diskFile
	tracking := false
	simulator.Map.WithLock(vm, func() {
		tracking = vm.Config.ChangeTrackingEnabled != nil && *vm.Config.ChangeTrackingEnabled
		for _, dev := range snap.Config.Hardware.Device {
			if d, ok := dev.(*types.VirtualDisk); ok {
				disks = append(disks, diskFile{d.Key, diskFileName(d), diskCapacity(d)})
			}
		}
	})
	if !tracking {
		c.forget(vmRef.Value)
		// The snapshot must not share device objects with the VM (a later changeId on the VM).
		simulator.Map.WithLock(snap, func() {
			snap.Config.Hardware.Device = withChangeIDs(snap.Config.Hardware.Device, nil)
		})
		return
	}

	ids := map[int32]string{}
	for _, d := range disks {
		st, err := hashDisk(d.file, d.capacity)
		if err != nil {
			log.Printf("CBT: %s disk %d: %v (no changeId recorded)", vmRef.Value, d.key, err)
			continue
		}
		ids[d.key] = c.record(diskID{vmRef.Value, d.key}, st)
	}
	simulator.Map.WithLock(snap, func() {
		snap.Config.Hardware.Device = withChangeIDs(snap.Config.Hardware.Device, ids)
	})
	simulator.Map.WithLock(vm, func() {
		simulator.Map.Update(vm, []types.PropertyChange{{
			Name: "config.hardware.device",
			Val:  withChangeIDs(vm.Config.Hardware.Device, ids),
		}})
	})
	log.Printf("CBT: %s snapshot %s: changeIds %v", vmRef.Value, snapRef.Value, ids)
}

func (c *cbt) afterReconfigure(vmRef types.ManagedObjectReference) {
	vm, ok := simulator.Map.Get(vmRef).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	tracking := false
	simulator.Map.WithLock(vm, func() {
		tracking = vm.Config.ChangeTrackingEnabled != nil && *vm.Config.ChangeTrackingEnabled
		if !tracking {
			// vSphere drops the changeIds from the backings when tracking is turned off.
			simulator.Map.Update(vm, []types.PropertyChange{{
				Name: "config.hardware.device",
				Val:  withChangeIDs(vm.Config.Hardware.Device, map[int32]string{}),
			}})
		}
	})
	if !tracking {
		c.forget(vmRef.Value)
	}
}

func (c *cbt) forget(vm string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.disks {
		if id.vm == vm {
			delete(c.disks, id)
		}
	}
}

func (c *cbt) record(id diskID, st *diskState) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.disks[id]
	if t == nil {
		t = &diskTrack{epoch: newEpoch(), states: map[string]*diskState{}}
		c.disks[id] = t
	}
	t.seq++
	changeID := fmt.Sprintf("%s/%d", t.epoch, t.seq)
	t.states[changeID] = st
	t.order = append(t.order, changeID)
	if len(t.order) > maxStates {
		delete(t.states, t.order[0])
		t.order = t.order[1:]
	}
	return changeID
}

func (c *cbt) state(id diskID, changeID string) *diskState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.disks[id]; t != nil {
		return t.states[changeID]
	}
	return nil
}

// newEpoch makes the first part of a changeId, the way vSphere shows it:
// "52 6c 2f 1e 75 b4 3e 8d-a9 0b 5d 1c 9e 24 2f 61".
func newEpoch() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[0] = 0x52
	parts := make([]string, 16)
	for i := range b {
		parts[i] = hex.EncodeToString(b[i : i+1])
	}
	return strings.Join(parts[:8], " ") + "-" + strings.Join(parts[8:], " ")
}

var changeIDRE = regexp.MustCompile(`^[0-9a-f]{2}( [0-9a-f]{2}){7}-[0-9a-f]{2}( [0-9a-f]{2}){7}/[0-9]+$`)

func (c *cbt) query(req *types.QueryChangedDiskAreas) (*types.DiskChangeInfo, types.BaseMethodFault, string) {
	vm, ok := simulator.Map.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		return nil, &types.ManagedObjectNotFound{Obj: req.This}, "The object has already been deleted or has not been completely created"
	}
	if req.ChangeId != "*" && !changeIDRE.MatchString(req.ChangeId) {
		return nil, &types.InvalidArgument{InvalidProperty: "changeId"}, "A specified parameter was not correct: changeId"
	}

	var disk *types.VirtualDisk
	tracking := false
	devices := func(list []types.BaseVirtualDevice) {
		for _, dev := range list {
			if d, ok := dev.(*types.VirtualDisk); ok && d.Key == req.DeviceKey {
				disk = d
			}
		}
	}
	simulator.Map.WithLock(vm, func() {
		tracking = vm.Config.ChangeTrackingEnabled != nil && *vm.Config.ChangeTrackingEnabled
		if req.Snapshot == nil {
			devices(vm.Config.Hardware.Device)
		}
	})
	if req.Snapshot != nil {
		snap, ok := simulator.Map.Get(*req.Snapshot).(*simulator.VirtualMachineSnapshot)
		if !ok || snap.Vm != req.This {
			return nil, &types.ManagedObjectNotFound{Obj: *req.Snapshot}, "The object has already been deleted or has not been completely created"
		}
		simulator.Map.WithLock(snap, func() { devices(snap.Config.Hardware.Device) })
	}
	if disk == nil {
		return nil, &types.InvalidArgument{InvalidProperty: "deviceKey"}, "A specified parameter was not correct: deviceKey"
	}
	file := diskFileName(disk)
	if !tracking {
		return nil, &types.FileFault{File: file}, "Error caused by file " + file + " (change tracking is not enabled)"
	}
	capacity := diskCapacity(disk)
	if req.StartOffset < 0 || req.StartOffset >= capacity {
		return nil, &types.InvalidArgument{InvalidProperty: "startOffset"}, "A specified parameter was not correct: startOffset"
	}

	id := diskID{req.This.Value, req.DeviceKey}
	var target *diskState
	if req.Snapshot != nil {
		if cid := backingChangeID(disk); cid != "" {
			target = c.state(id, cid)
		}
		if target == nil {
			return nil, &types.FileFault{File: file}, "Error caused by file " + file + " (the snapshot has no change tracking information)"
		}
	} else {
		st, err := hashDisk(file, capacity)
		if err != nil {
			return nil, &types.FileFault{File: file}, "Error caused by file " + file + ": " + err.Error()
		}
		target = st
	}

	var base *diskState
	if req.ChangeId != "*" {
		base = c.state(id, req.ChangeId)
		if base == nil {
			return nil, &types.FileFault{File: file}, "Error caused by file " + file + " (unknown changeId " + req.ChangeId + ")"
		}
	}

	info := &types.DiskChangeInfo{StartOffset: req.StartOffset, Length: capacity - req.StartOffset}
	first := req.StartOffset / blockSize
	n := int64(len(target.hashes) / hashSize)
	for b := first; b < n; b++ {
		h := target.hashes[b*hashSize : (b+1)*hashSize]
		var changed bool
		if base == nil {
			changed = !bytes.Equal(h, zeroBlockHash[:])
		} else if b < int64(len(base.hashes)/hashSize) {
			changed = !bytes.Equal(h, base.hashes[b*hashSize:(b+1)*hashSize])
		} else {
			changed = true // the disk grew
		}
		if !changed {
			continue
		}
		start := b * blockSize
		if start < req.StartOffset {
			start = req.StartOffset
		}
		end := (b + 1) * blockSize
		if end > capacity {
			end = capacity
		}
		if k := len(info.ChangedArea); k > 0 && info.ChangedArea[k-1].Start+info.ChangedArea[k-1].Length == start {
			info.ChangedArea[k-1].Length += end - start
		} else {
			info.ChangedArea = append(info.ChangedArea, types.DiskChangeExtent{Start: start, Length: end - start})
		}
	}
	return info, nil, ""
}

// dataPath is the local file holding a disk's bytes: the extent "<name>-flat.vmdk" beside the
// descriptor "<name>.vmdk" when there is one (the layout of the model's disks and of ESXi's thick
// disks), else the backing file itself (a raw image uploaded under the .vmdk name).
func dataPath(dsPath string) (string, error) {
	p, err := localPath(dsPath)
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(p, ".vmdk") {
		flat := strings.TrimSuffix(p, ".vmdk") + "-flat.vmdk"
		if _, err := os.Stat(flat); err == nil {
			return flat, nil
		}
	}
	return p, nil
}

// hashDisk hashes a disk's data (see dataPath) in 64 KiB blocks; what lies past the end of the
// file reads as zeros, up to the disk's capacity (or the file's size, if larger).
func hashDisk(dsPath string, capacity int64) (*diskState, error) {
	p, err := dataPath(dsPath)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size > capacity {
		capacity = size
	}
	n := (capacity + blockSize - 1) / blockSize
	st := &diskState{capacity: capacity, hashes: make([]byte, 0, n*hashSize)}
	buf := make([]byte, blockSize)
	zeros := make([]byte, blockSize)
	// Holes of a sparse file read as zeros: skip them (SEEK_DATA) instead of reading them.
	nextData := int64(0)
	for b := int64(0); b < n; b++ {
		off := b * blockSize
		if off >= size {
			st.hashes = append(st.hashes, zeroBlockHash[:]...)
			continue
		}
		if off+blockSize <= nextData {
			st.hashes = append(st.hashes, zeroBlockHash[:]...)
			continue
		}
		if nextData <= off {
			if d, err := f.Seek(off, seekData); err == nil {
				nextData = d
			} else {
				nextData = size // ENXIO: no data after off
			}
			if off+blockSize <= nextData {
				st.hashes = append(st.hashes, zeroBlockHash[:]...)
				continue
			}
		}
		k, err := f.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			return nil, err
		}
		copy(buf[k:], zeros[k:])
		if bytes.Equal(buf, zeros) {
			st.hashes = append(st.hashes, zeroBlockHash[:]...)
			continue
		}
		h := blockHash(buf)
		st.hashes = append(st.hashes, h[:]...)
	}
	return st, nil
}

// withChangeIDs copies a device list; each disk in ids gets a copy with backing.changeId set (a
// disk not in ids: changeId cleared when ids is not nil). The copies keep snapshots' configs
// independent of the VM's.
func withChangeIDs(list []types.BaseVirtualDevice, ids map[int32]string) []types.BaseVirtualDevice {
	out := make([]types.BaseVirtualDevice, len(list))
	for i, dev := range list {
		d, ok := dev.(*types.VirtualDisk)
		if !ok {
			out[i] = dev
			continue
		}
		nd := *d
		if d.Backing != nil {
			bv := reflect.ValueOf(d.Backing)
			if bv.Kind() == reflect.Ptr {
				cp := reflect.New(bv.Elem().Type())
				cp.Elem().Set(bv.Elem())
				if ids != nil {
					if f := cp.Elem().FieldByName("ChangeId"); f.IsValid() && f.Kind() == reflect.String {
						f.SetString(ids[d.Key])
					}
				}
				nd.Backing = cp.Interface().(types.BaseVirtualDeviceBackingInfo)
			}
		}
		out[i] = &nd
	}
	return out
}

func backingChangeID(d *types.VirtualDisk) string {
	if d.Backing == nil {
		return ""
	}
	v := reflect.ValueOf(d.Backing)
	if v.Kind() == reflect.Ptr {
		v = v.Elem()
	}
	if f := v.FieldByName("ChangeId"); f.IsValid() && f.Kind() == reflect.String {
		return f.String()
	}
	return ""
}

func diskFileName(d *types.VirtualDisk) string {
	if b, ok := d.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
		return b.GetVirtualDeviceFileBackingInfo().FileName
	}
	return ""
}

func diskCapacity(d *types.VirtualDisk) int64 {
	if d.CapacityInBytes > 0 {
		return d.CapacityInBytes
	}
	return d.CapacityInKB << 10
}

// localPath maps "[LocalDS_0] dir/disk.vmdk" to the datastore's directory on the local disk.
func localPath(dsPath string) (string, error) {
	if !strings.HasPrefix(dsPath, "[") {
		return "", fmt.Errorf("not a datastore path: %q", dsPath)
	}
	i := strings.Index(dsPath, "]")
	if i < 0 {
		return "", fmt.Errorf("not a datastore path: %q", dsPath)
	}
	name, rel := dsPath[1:i], strings.TrimSpace(dsPath[i+1:])
	for _, e := range simulator.Map.All("Datastore") {
		ds := e.(*simulator.Datastore)
		if ds.Name == name {
			return path.Join(ds.Info.GetDatastoreInfo().Url, rel), nil
		}
	}
	return "", fmt.Errorf("no datastore %q", name)
}

// The SOAP envelope as the simulator writes it (simulator.go: soapEnvelope, soapFault,
// faultDetail are unexported there).
type soapEnvelope struct {
	XMLName xml.Name    `xml:"soapenv:Envelope"`
	Enc     string      `xml:"xmlns:soapenc,attr"`
	Env     string      `xml:"xmlns:soapenv,attr"`
	XSD     string      `xml:"xmlns:xsd,attr"`
	XSI     string      `xml:"xmlns:xsi,attr"`
	Body    interface{} `xml:"soapenv:Body"`
}

type soapFault struct {
	XMLName xml.Name `xml:"soapenv:Fault"`
	Code    string   `xml:"faultcode"`
	String  string   `xml:"faultstring"`
	Detail  struct {
		Fault *faultDetail
	} `xml:"detail"`
}

type faultDetail struct {
	Fault types.AnyType
}

func (d *faultDetail) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	kind := reflect.TypeOf(d.Fault).Elem().Name()
	start.Name.Local = kind + "Fault"
	start.Attr = append(start.Attr,
		xml.Attr{Name: xml.Name{Local: "xmlns"}, Value: "urn:vim25"},
		xml.Attr{Name: xml.Name{Local: "xsi:type"}, Value: kind})
	return e.EncodeElement(d.Fault, start)
}

func writeEnvelope(w http.ResponseWriter, status int, body interface{}) {
	var out bytes.Buffer
	out.WriteString(xml.Header)
	e := xml.NewEncoder(&out)
	err := e.Encode(&soapEnvelope{
		Enc:  "http://schemas.xmlsoap.org/soap/encoding/",
		Env:  "http://schemas.xmlsoap.org/soap/envelope/",
		XSD:  "http://www.w3.org/2001/XMLSchema",
		XSI:  "http://www.w3.org/2001/XMLSchema-instance",
		Body: body,
	})
	if err == nil {
		err = e.Flush()
	}
	if err != nil {
		log.Printf("CBT: encoding response: %v", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(out.Bytes())
}

func writeResult(w http.ResponseWriter, res *types.QueryChangedDiskAreasResponse) {
	writeEnvelope(w, http.StatusOK, struct {
		Res *types.QueryChangedDiskAreasResponse `xml:"urn:vim25 QueryChangedDiskAreasResponse"`
	}{res})
}

func writeFault(w http.ResponseWriter, msg string, fault types.BaseMethodFault) {
	f := &soapFault{Code: "ServerFaultCode", String: msg}
	f.Detail.Fault = &faultDetail{fault}
	writeEnvelope(w, http.StatusInternalServerError, struct{ Fault *soapFault }{f})
}

// maxSnapshots is vSphere's limit of snapshot levels per VM.
const maxSnapshots = 32

// snapshotCount counts the snapshots in a VM's tree.
func snapshotCount(ref types.ManagedObjectReference) int {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return 0
	}
	n := 0
	var walk func([]types.VirtualMachineSnapshotTree)
	walk = func(trees []types.VirtualMachineSnapshotTree) {
		for _, t := range trees {
			n++
			walk(t.ChildSnapshotList)
		}
	}
	simulator.Map.WithLock(vm, func() {
		if vm.Snapshot != nil {
			walk(vm.Snapshot.RootSnapshotList)
		}
	})
	return n
}
