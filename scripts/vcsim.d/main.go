// Command vaultgate-vcsim runs govmomi's vCenter simulator (Debian's golang-github-vmware-govmomi-dev,
// 0.24.2) for Vaultgate's tests, adapted to what the agent's SOAP client (yavijava 6.0.05) parses:
//
//   - the ServiceContent is a vSphere 6.0 one: apiVersion 6.0, no fields added after 6.0
//     (vStorageObjectManager, cryptoManager, ...), see sixZeroServiceContent;
//   - xsi:type attributes are written as "xsi:type", after the element's own attributes (the
//     vim25/xml encoder is patched at build time, see patches/vim25-xml-xsi-type.patch and the
//     scripts/vcsim launcher);
//   - QueryChangedDiskAreas is implemented (cbt.go), from block hashes recorded at each
//     CreateSnapshot_Task;
//   - logins other than -user/-password are refused, also on /folder and the REST API.
//
// It prints VCSIM_* lines (URL, user, password, certificate thumbprint, datastore directory) on
// stdout once it accepts connections, and runs until SIGINT/SIGTERM. Start it through scripts/vcsim,
// which builds it.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	// Registers the vSphere REST API (tags, /rest/com/vmware/cis/...) on the simulator's mux.
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func main() {
	listen := flag.String("l", "127.0.0.1:0", "address to listen on (port 0: a free one)")
	dir := flag.String("dir", "", "state directory: datastores, certificate (required)")
	user := flag.String("user", "administrator@vsphere.local", "login user")
	pass := flag.String("password", "Vaultgate1!", "login password")
	vms := flag.Int("vms", 2, "VMs per standalone host and per cluster resource pool")
	hosts := flag.Int("hosts", 1, "standalone hosts")
	clusters := flag.Int("clusters", 1, "clusters")
	clusterHosts := flag.Int("cluster-hosts", 3, "hosts per cluster")
	diskMB := flag.Int64("disk-mb", 16, "capacity of each inventory VM's disk, MiB (a sparse file)")
	powerOn := flag.Bool("power-on", true, "power the inventory VMs on")
	keep := flag.Bool("keep", false, "keep the datastore files at exit")
	trace := flag.Bool("trace", false, "log SOAP requests and responses to stderr")
	removeDir := flag.Bool("remove-dir", false, "remove the state directory at exit")
	flag.Parse()
	log.SetPrefix("vcsim: ")
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)

	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		log.Fatal(err)
	}
	if *removeDir {
		defer os.RemoveAll(*dir)
	}
	// The model creates each datastore with ioutil.TempDir: keep them under the state directory.
	dsRoot := filepath.Join(*dir, "datastores")
	if err := os.MkdirAll(dsRoot, 0o700); err != nil {
		log.Fatal(err)
	}
	os.Setenv("TMPDIR", dsRoot)

	cert, thumbSHA1, thumbSHA256, certFile, err := loadOrCreateCert(*dir)
	if err != nil {
		log.Fatalf("certificate: %v", err)
	}

	model := simulator.VPX()
	model.Machine = *vms
	model.Host = *hosts
	model.Cluster = *clusters
	model.ClusterHost = *clusterHosts
	model.Autostart = *powerOn
	about := &model.ServiceContent.About
	about.Version = "6.0.0"
	about.Build = "3634788"
	about.FullName = "VMware vCenter Server 6.0.0 build-3634788 (vcsim)"
	about.ApiVersion = "6.0"

	if err := model.Create(); err != nil {
		log.Fatalf("model: %v", err)
	}
	if !*keep {
		defer model.Remove()
	}
	sixZeroServiceContent()

	if *diskMB > 0 {
		if err := resizeDisks(*diskMB << 20); err != nil {
			log.Fatalf("disks: %v", err)
		}
	}

	if *trace {
		simulator.Trace = true
		simulator.TraceFile = os.Stderr
	}

	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *pass)}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	model.Service.RegisterEndpoints = true // vapi: tags at /rest/com/vmware/cis/...
	server := model.Service.NewServer()
	defer server.Close()

	// Put the CBT layer in front of the simulator's mux. http.Server reads Handler per request;
	// nothing has connected yet, since the address is printed only below.
	server.Server.Config.Handler = restLogin(newSpaceSetter(newFieldNotifier(newCBT(server.Server.Config.Handler, *user, *pass)), *user, *pass), *user, *pass)

	addr := server.Server.Listener.Addr().(*net.TCPAddr)
	host := net.JoinHostPort(addr.IP.String(), fmt.Sprint(addr.Port))
	dsDir := ""
	for _, e := range simulator.Map.All("Datastore") {
		ds := e.(*simulator.Datastore)
		if ds.Name == "LocalDS_0" {
			dsDir = ds.Info.GetDatastoreInfo().Url
		}
	}

	fmt.Printf("VCSIM_URL=https://%s/sdk\n", host)
	fmt.Printf("VCSIM_HOST=%s\n", host)
	fmt.Printf("VCSIM_USER=%s\n", *user)
	fmt.Printf("VCSIM_PASSWORD=%s\n", *pass)
	fmt.Printf("VCSIM_THUMBPRINT=%s\n", thumbSHA1)
	fmt.Printf("VCSIM_THUMBPRINT_SHA256=%s\n", thumbSHA256)
	fmt.Printf("VCSIM_CERT=%s\n", certFile)
	fmt.Printf("VCSIM_DATACENTER=DC0\n")
	fmt.Printf("VCSIM_DATASTORE=LocalDS_0\n")
	fmt.Printf("VCSIM_DATASTORE_DIR=%s\n", dsDir)
	fmt.Printf("VCSIM_PID=%d\n", os.Getpid())
	fmt.Printf("VCSIM_READY=1\n")
	os.Stdout.Sync()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	log.Printf("%s: stopping", s)
}

// restLogin refuses a vSphere REST session (tags, /rest/com/vmware/cis/session) with other
// credentials than the SOAP login's: the vapi simulator accepts any non-empty user and password.
func restLogin(next http.Handler, user, pass string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && (r.URL.Path == "/rest/com/vmware/cis/session" || r.URL.Path == "/api/session") {
			if u, p, ok := r.BasicAuth(); ok && (u != user || p != pass) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"type":"com.vmware.vapi.std.errors.unauthenticated","value":{"messages":[]}}`)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// sixZeroServiceContent makes RetrieveServiceContent answer what a vCenter 6.0 answers: yavijava
// 6.0.05 fails on elements it does not know. The managers stay registered, only unadvertised.
func sixZeroServiceContent() {
	si := simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
	c := &si.Content
	c.GuestCustomizationManager = nil   // 6.7
	c.VStorageObjectManager = nil       // 6.5
	c.HostSpecManager = nil             // 6.5
	c.CryptoManager = nil               // 6.5
	c.HealthUpdateManager = nil         // 6.5
	c.FailoverClusterConfigurator = nil // 6.5
	c.FailoverClusterManager = nil      // 6.5
	c.TenantManager = nil               // 6.9.1
	c.SiteInfoManager = nil             // 7.0
	c.StorageQueryManager = nil         // 7.0
}

// resizeDisks gives every inventory VM's disk the capacity, an extent file of that size
// (disk1-flat.vmdk, sparse: reads as zeros) and a descriptor (disk1.vmdk) naming it, as ESXi lays
// a thick disk out on a datastore. The model makes 1 MiB disks with two empty files.
func resizeDisks(size int64) error {
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		var ferr error
		simulator.Map.WithLock(vm, func() {
			for _, dev := range vm.Config.Hardware.Device {
				disk, ok := dev.(*types.VirtualDisk)
				if !ok {
					continue
				}
				disk.CapacityInKB = size >> 10
				disk.CapacityInBytes = size
				if ferr = writeFlatDisk(diskFileName(disk), size); ferr != nil {
					return
				}
			}
		})
		if ferr != nil {
			return ferr
		}
	}
	return nil
}

func writeFlatDisk(dsPath string, size int64) error {
	descriptor, err := localPath(dsPath)
	if err != nil {
		return err
	}
	if !strings.HasSuffix(descriptor, ".vmdk") {
		return fmt.Errorf("not a .vmdk: %s", dsPath)
	}
	extent := strings.TrimSuffix(descriptor, ".vmdk") + "-flat.vmdk"
	f, err := os.OpenFile(extent, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	text := fmt.Sprintf(`# Disk DescriptorFile
version=1
encoding="UTF-8"
CID=fffffffe
parentCID=ffffffff
createType="vmfs"

# Extent description
RW %d VMFS "%s"

# The Disk Data Base
#DDB

ddb.adapterType = "lsilogic"
ddb.geometry.cylinders = "%d"
ddb.geometry.heads = "255"
ddb.geometry.sectors = "63"
ddb.virtualHWVersion = "11"
`, size/512, filepath.Base(extent), size/512/(255*63))
	return os.WriteFile(descriptor, []byte(text), 0o600)
}

// loadOrCreateCert reuses dir/cert.pem and dir/key.pem (so a restarted simulator keeps its
// thumbprint, as a vCenter does) or makes a new self-signed certificate for 127.0.0.1/localhost.
func loadOrCreateCert(dir string) (tls.Certificate, string, string, string, error) {
	certFile := filepath.Join(dir, "cert.pem")
	keyFile := filepath.Join(dir, "key.pem")
	if _, err := os.Stat(certFile); err != nil {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return tls.Certificate{}, "", "", "", err
		}
		serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
		tmpl := &x509.Certificate{
			SerialNumber:          serial,
			Subject:               pkix.Name{CommonName: "vcsim.vaultgate.local", Organization: []string{"Vaultgate vcsim"}},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().AddDate(10, 0, 0),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
			IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
			DNSNames:              []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			return tls.Certificate{}, "", "", "", err
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return tls.Certificate{}, "", "", "", err
		}
		if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
			return tls.Certificate{}, "", "", "", err
		}
		if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			return tls.Certificate{}, "", "", "", err
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, "", "", "", err
	}
	s1 := sha1.Sum(cert.Certificate[0])
	s256 := sha256.Sum256(cert.Certificate[0])
	return cert, colonHex(s1[:]), colonHex(s256[:]), certFile, nil
}

// colonHex formats a digest the way vSphere shows thumbprints: AB:CD:...
func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(parts, ":")
}
