/* Built-in scenarios (`tracesync simulate --preset NAME`): each one is a
 * scenario file, printed by `tracesync simulate --print-preset NAME`. */
#include "sim/scenario.h"

static const char default_text[] =
    "# default: the demo.  A KVM host with two guests and a physical peer, TCP\n"
    "# and vmsync traffic, NTP-like clock errors of tens of microseconds with\n"
    "# some drift, three seconds.\n"
    "sim duration=3s start=2024-03-15T10:00:00Z seed=1\n"
    "\n"
    "machine host0  role=host cpus=6 load=0.15\n"
    "machine guest1 role=guest host=host0 vcpus=2 pin=2,3 load=0.25\n"
    "machine guest2 role=guest host=host0 vcpus=2 pin=4,5 load=0.2\n"
    "# a machine with few event classes: its channel uses the compact event header\n"
    "machine peer0  role=machine cpus=2 events=small load=0.1\n"
    "\n"
    "# clock error = clock - true time: offset at the start, drift, NTP slewing\n"
    "clock host0  offset=3us drift=+1.2ppm\n"
    "clock guest1 offset=-35us drift=+12ppm wander=20us/1s\n"
    "clock guest2 offset=48us drift=-8ppm slew=1.5s:+4ppm\n"
    "clock peer0  offset=-120us drift=+5ppm wander=30us/2s\n"
    "\n"
    "link host0 guest1 min=10us mean=60us tail=0.5%:200us\n"
    "link guest1->host0 min=5us mean=35us tail=0.5%:150us\n"
    "link host0 guest2 min=10us mean=70us tail=0.5%:200us\n"
    "link guest2->host0 min=5us mean=40us tail=0.5%:150us\n"
    "link guest1 peer0 min=40us mean=150us tail=1%:500us loss=0.5%\n"
    "\n"
    "tcp guest1 host0 rate=300/s req=200 resp=1400\n"
    "tcp host0 guest2 rate=200/s req=300 resp=4000\n"
    "tcp guest2 host0 rate=100/s ipv6\n"
    "tcp guest1 guest2 pattern=stream rate=2k/s\n"
    "# some receive events carry no headers (GRO, tun paths): they cannot be matched\n"
    "tcp peer0 guest1 rate=150/s noheader=2%\n"
    "# a connection opened (SYN, SYN-ACK, ACK) and closed (FIN) during the trace\n"
    "tcp guest2 peer0 rate=80/s start=10ms stop=2.5s\n"
    "udp guest2 peer0 rate=50/s size=120 reply\n"
    "ping host0 peer0 interval=200ms\n"
    "noise peer0 host0 rate=5/s\n";

static const char ntp_lan_text[] =
    "# ntp-lan: three physical machines synchronized by NTP over a LAN:\n"
    "# about 500us of bias and 1.5ms of wander (random walk every 16s).\n"
    "sim duration=60s seed=1\n"
    "\n"
    "machine srv0 role=machine cpus=2 load=0.05 rate=100k/s\n"
    "machine srv1 role=machine cpus=2 load=0.05 rate=100k/s\n"
    "machine srv2 role=machine cpus=2 load=0.05 rate=100k/s\n"
    "\n"
    "clock srv0 offset=0 drift=+0.5ppm\n"
    "clock srv1 offset=500us drift=+3ppm wander=1.5ms/16s\n"
    "clock srv2 offset=-450us drift=-2ppm wander=1.5ms/16s slew=30s:+6ppm\n"
    "\n"
    "link srv0 srv1 min=40us mean=120us tail=1%:400us\n"
    "link srv0 srv2 min=40us mean=130us tail=1%:400us\n"
    "link srv1 srv2 min=45us mean=140us tail=1%:400us loss=0.2%\n"
    "\n"
    "tcp srv1 srv0 rate=100/s\n"
    "tcp srv2 srv0 rate=100/s\n"
    "tcp srv1 srv2 rate=50/s\n"
    "ping srv0 srv1 interval=1s\n";

static const char ptp_kvm_idle_text[] =
    "# ptp-kvm-idle: an idle host whose two guests follow its clock through\n"
    "# ptp_kvm (sub-microsecond error); vmsync rounds and light traffic.\n"
    "sim duration=10s seed=1\n"
    "\n"
    "machine host0  role=host cpus=4 load=0.03\n"
    "machine guest1 role=guest host=host0 vcpus=2 pin=0,1 load=0.03\n"
    "machine guest2 role=guest host=host0 vcpus=2 pin=2,3 load=0.03\n"
    "\n"
    "clock host0  offset=1us drift=+0.8ppm\n"
    "clock guest1 follow=host0 jitter=200ns/1s\n"
    "clock guest2 follow=host0 jitter=300ns/1s\n"
    "\n"
    "tcp guest1 host0 rate=20/s\n"
    "tcp host0 guest2 rate=20/s\n";

static const char ptp_kvm_stress_text[] =
    "# ptp-kvm-stress: a loaded host; guest1 follows the host clock through\n"
    "# ptp_kvm, guest2 is misconfigured: its NTP fights a second time source,\n"
    "# it drifts away by 400us then snaps back every 4s.  A stress window\n"
    "# multiplies latencies by 20 and loads every CPU.\n"
    "sim duration=8s seed=1\n"
    "\n"
    "machine host0  role=host cpus=4 load=0.4\n"
    "machine guest1 role=guest host=host0 vcpus=2 pin=0,1 load=0.5\n"
    "machine guest2 role=guest host=host0 vcpus=2 pin=2,3 load=0.5\n"
    "\n"
    "clock host0  offset=2us drift=+1ppm\n"
    "clock guest1 follow=host0 jitter=250ns/500ms\n"
    "clock guest2 follow=host0 jitter=300ns/500ms osc=400us/4s/150ms\n"
    "\n"
    "tcp guest1 host0 rate=500/s\n"
    "tcp guest2 host0 rate=500/s resp=3000\n"
    "tcp guest1 guest2 pattern=stream rate=5k/s\n"
    "\n"
    "stress from=3s to=5s latency=x20 load=0.9\n";

static const char long_idle_text[] =
    "# long-idle: two days of sparse activity, a ping every three minutes and a\n"
    "# request a minute: the clocks drift non-linearly (wander, slews).\n"
    "sim duration=2d seed=1\n"
    "\n"
    "machine host0  role=host cpus=2 load=0.0003 burst=200us rate=25k/s tick=100ms\n"
    "machine guest1 role=guest host=host0 vcpus=1 load=0.0003 burst=200us rate=25k/s tick=100ms\n"
    "machine peer0  role=machine cpus=2 load=0.0003 burst=200us rate=25k/s tick=100ms\n"
    "\n"
    "clock host0  offset=50us drift=+2ppm wander=2ms/10min\n"
    "clock guest1 offset=-1ms drift=+15ppm wander=5ms/10min slew=12h:-4ppm,30h:+9ppm\n"
    "clock peer0  offset=3ms drift=-6ppm wander=3ms/10min\n"
    "\n"
    "ping host0 peer0 interval=3min\n"
    "ping guest1 host0 interval=3min\n"
    "tcp guest1 peer0 rate=1/min\n";

static const char contended_text[] =
    "# contended: a guest with 4 vCPUs pinned to 2 host CPUs: vCPUs wait for\n"
    "# each other and are preempted for 3 to 30ms.\n"
    "sim duration=5s seed=1\n"
    "\n"
    "machine host0  role=host cpus=2 load=0.05\n"
    "machine guest1 role=guest host=host0 vcpus=4 pin=0,1 load=0.75 burst=20ms\n"
    "\n"
    "clock host0  offset=2us drift=+1ppm\n"
    "clock guest1 offset=-80us drift=+20ppm wander=30us/1s\n"
    "\n"
    "tcp guest1 host0 rate=300/s\n"
    "tcp host0 guest1 rate=100/s resp=8000\n";

static const char lan_text[] =
    "# lan: physical machines only (no virtualization), TCP, UDP, ICMP and\n"
    "# header-less packets; two machines use the compact event header.\n"
    "sim duration=5s seed=1\n"
    "\n"
    "machine alpha role=machine cpus=4 load=0.2\n"
    "machine beta  role=machine cpus=2 load=0.15 events=small\n"
    "machine gamma role=machine cpus=2 load=0.1 events=small\n"
    "\n"
    "clock alpha offset=0 drift=+2ppm\n"
    "clock beta  offset=1.2ms drift=-15ppm\n"
    "clock gamma offset=-2.5ms drift=+40ppm step=2s:300us\n"
    "\n"
    "link alpha beta  min=30us mean=90us tail=1%:300us loss=0.3%\n"
    "link alpha gamma min=35us mean=110us tail=1%:300us\n"
    "link beta gamma  min=40us mean=120us tail=2%:500us loss=0.5%\n"
    "\n"
    "tcp beta alpha rate=400/s\n"
    "tcp gamma alpha rate=200/s ipv6\n"
    "tcp alpha beta pattern=stream rate=3k/s\n"
    "udp gamma beta rate=100/s reply\n"
    "ping alpha gamma interval=100ms\n"
    "noise beta alpha rate=20/s\n";

const scn_preset scn_presets[] = {
    {"default", "the demo: a host, two guests and a peer; TCP, vmsync; 3 s", default_text},
    {"ntp-lan", "three machines on a LAN with NTP: ~500us bias, 1.5ms wander; 60 s", ntp_lan_text},
    {"ptp-kvm-idle", "idle host, two guests on ptp_kvm (sub-us error); 10 s", ptp_kvm_idle_text},
    {"ptp-kvm-stress", "loaded host, one guest drifts away and snaps back; 8 s",
     ptp_kvm_stress_text},
    {"long-idle", "two days of sparse traffic, pings every 3 min, non-linear drift",
     long_idle_text},
    {"contended", "4 vCPUs pinned to 2 CPUs: vCPUs preempted for 3-30 ms; 5 s", contended_text},
    {"lan", "physical machines only: TCP, UDP, ICMP, compact headers; 5 s", lan_text},
};

const size_t scn_npresets = sizeof scn_presets / sizeof scn_presets[0];
