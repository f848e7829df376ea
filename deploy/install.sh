#!/bin/sh
# Installs SnomActors on this machine (or into a staging root): publishes the daemon, installs the
# /usr/bin/snomactors wrapper, the systemd unit, the service user, default configuration and docs.
#
#   sudo deploy/install.sh                      # build, install, enable and start
#   deploy/install.sh --root /tmp/stage --no-systemctl   # stage into a directory (also: DESTDIR=/tmp/stage)
#
# Options:
#   --root DIR         install below DIR instead of / (same as DESTDIR=DIR); never touches the host's
#                      systemd or user database when set
#   --prefix DIR       installation prefix (default /usr): DIR/lib/snomactors, DIR/bin/snomactors
#   --unit-dir DIR     where the unit goes (default /etc/systemd/system)
#   --configuration C  dotnet build configuration (default Release)
#   --self-contained   bundle the .NET runtime (the machine then needs no .NET runtime), for RID linux-x64
#                      or --rid RID
#   --published DIR    install an existing `dotnet publish` output instead of building
#   --no-systemctl     do not run systemctl (daemon-reload / enable --now)
#   --no-start         enable but do not start
#   -h, --help         this text
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"

root="${DESTDIR:-}"
prefix=/usr
unit_dir=/etc/systemd/system
configuration=Release
self_contained=no
rid=linux-x64
published=
systemctl_enabled=yes
start=yes

usage() { sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'; }
die() { echo "install.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a directory"; root="$2"; shift 2 ;;
    --root=*) root="${1#*=}"; shift ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
    --unit-dir) [ $# -ge 2 ] || die "--unit-dir needs a directory"; unit_dir="$2"; shift 2 ;;
    --configuration) [ $# -ge 2 ] || die "--configuration needs a value"; configuration="$2"; shift 2 ;;
    --self-contained) self_contained=yes; shift ;;
    --rid) [ $# -ge 2 ] || die "--rid needs a runtime identifier"; rid="$2"; shift 2 ;;
    --published) [ $# -ge 2 ] || die "--published needs a directory"; published="$2"; shift 2 ;;
    --no-systemctl) systemctl_enabled=no; shift ;;
    --no-start) start=no; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

# A staging root is made absolute and never gets the host's systemctl or user database changed.
if [ -n "$root" ]; then
  mkdir -p "$root"
  root="$(cd "$root" && pwd)"
  [ "$root" = / ] && root=
fi
if [ -n "$root" ]; then systemctl_enabled=no; fi
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then die "installing into / needs root (or use --root DIR)"; fi

libdir="$prefix/lib/snomactors"
echo "install.sh: installing into ${root:-/} (prefix $prefix)"

# 1. The daemon: dotnet publish into <prefix>/lib/snomactors.
install -d -m 0755 "$root$libdir"
if [ -n "$published" ]; then
  [ -f "$published/snomactors.dll" ] || die "--published $published has no snomactors.dll"
  cp -R "$published/." "$root$libdir/"
else
  command -v dotnet >/dev/null 2>&1 || die "dotnet (the .NET 10 SDK) is needed to build; see docs/operator-guide.md"
  if [ "$self_contained" = yes ]; then
    dotnet publish "$repo/src/SnomActors.Cli" -c "$configuration" -o "$root$libdir" --nologo -r "$rid" --self-contained true
  else
    dotnet publish "$repo/src/SnomActors.Cli" -c "$configuration" -o "$root$libdir" --nologo
  fi
fi
[ -f "$root$libdir/snomactors.dll" ] || die "publish produced no snomactors.dll in $root$libdir"
chmod -R u=rwX,go=rX "$root$libdir"

# 2. The wrapper: exec keeps the daemon's PID the unit's main PID (Type=notify, NotifyAccess=main).
dotnet_root=
if [ "$self_contained" = no ] && command -v dotnet >/dev/null 2>&1; then
  dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
fi
install -d -m 0755 "$root$prefix/bin"
{
  echo '#!/bin/sh'
  echo '# SnomActors command (installed by deploy/install.sh).'
  if [ -n "$dotnet_root" ]; then
    echo "# The .NET runtime found at install time; the apphost looks here first."
    echo ": \"\${DOTNET_ROOT:=$dotnet_root}\""
    echo 'export DOTNET_ROOT'
  fi
  if [ -x "$root$libdir/snomactors" ]; then
    echo "exec $libdir/snomactors \"\$@\""
  else
    echo "exec \"\${DOTNET_ROOT:+\$DOTNET_ROOT/}dotnet\" $libdir/snomactors.dll \"\$@\""
  fi
} > "$root$prefix/bin/snomactors"
chmod 0755 "$root$prefix/bin/snomactors"

# 3. The units (one daemon, or one per phone VLAN: snomactors@.service); their ExecStart names
#    /usr/bin/snomactors, so a non-default prefix is written into them.
install -d -m 0755 "$root$unit_dir"
for unit in snomactors.service snomactors@.service; do
  sed "s#/usr/bin/snomactors#$prefix/bin/snomactors#g" "$here/systemd/$unit" > "$root$unit_dir/$unit"
  chmod 0644 "$root$unit_dir/$unit"
done

# 4. The service user, declared for systemd-sysusers (which also creates it in a staging root).
install -d -m 0755 "$root$prefix/lib/sysusers.d"
cat > "$root$prefix/lib/sysusers.d/snomactors.conf" <<'SYSUSERS'
# SnomActors daemon: system user and group, no login, home = state directory.
u snomactors - "SnomActors PnP provisioning daemon" /var/lib/snomactors /usr/sbin/nologin
SYSUSERS
if command -v systemd-sysusers >/dev/null 2>&1; then
  if [ -n "$root" ]; then
    systemd-sysusers --root="$root" "$root$prefix/lib/sysusers.d/snomactors.conf"
  else
    systemd-sysusers "$prefix/lib/sysusers.d/snomactors.conf"
  fi
elif [ -z "$root" ] && ! getent passwd snomactors >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/snomactors --no-create-home --shell /usr/sbin/nologin snomactors
fi

# 5. Configuration (kept if present: an upgrade never overwrites the operator's settings).
install -d -m 0755 "$root/etc/snomactors"
if [ ! -e "$root/etc/snomactors/snomactors.json" ]; then
  cat > "$root/etc/snomactors/snomactors.json" <<'JSON'
{
  "SnomActors": {
    "Sip": {
      "Port": 5060,
      "Multicast": true,
      "MulticastInterfaces": []
    },
    "Http": {
      "Urls": "http://0.0.0.0:8080",
      "PublicHost": ""
    },
    "Provisioning": {
      "UrlTemplate": "http://{server}:{port}/settings/{mac}.xml"
    }
  }
}
JSON
  chmod 0644 "$root/etc/snomactors/snomactors.json"
fi
if [ ! -e "$root/etc/default/snomactors" ]; then
  install -d -m 0755 "$root/etc/default"
  cat > "$root/etc/default/snomactors" <<'DEFAULTS'
# Extra arguments for "snomactors run" (see: snomactors run --help), e.g.
#SNOMACTORS_OPTS="--multicast-interface eth1"
SNOMACTORS_OPTS=""
# Any setting as an environment variable (double underscore between sections), e.g.
#SnomActors__Provisioning__UrlTemplate=http://pnp.example.net:8080/settings/{mac}.xml
# JSON logs for log shippers (journald keeps plain text otherwise):
#Logging__Console__FormatterName=json
DEFAULTS
  chmod 0644 "$root/etc/default/snomactors"
fi

# An instance's environment file, as an example to copy (never enabled by itself).
if [ ! -e "$root/etc/snomactors/vlan.env.example" ]; then
  cat > "$root/etc/snomactors/vlan.env.example" <<'VLANENV'
# One phone VLAN served by snomactors@NAME.service: copy to /etc/snomactors/NAME.env, then
#   systemctl disable --now snomactors; systemctl enable --now snomactors@NAME
# The address is this host's address in the VLAN; the interface is the VLAN's interface.
SNOMACTORS_OPTS="--sip-address 10.0.10.1 --multicast-interface vlan10 --http-url http://10.0.10.1:8080"
# Any other setting for this instance only, e.g.
#SnomActors__Provisioning__UrlTemplate=http://10.0.10.1:8080/settings/{mac}.xml
VLANENV
  chmod 0644 "$root/etc/snomactors/vlan.env.example"
fi

# 6. Documentation, with the screenshots its image links (screenshots/*.png) point at and the
#    deploy/ notes it links to; in the repository those are ../deploy/…, installed they sit beside.
install -d -m 0755 "$root$prefix/share/doc/snomactors"
for doc in "$repo"/docs/*.md; do
  [ -e "$doc" ] || continue
  sed 's|](\.\./deploy/|](deploy/|g' "$doc" > "$root$prefix/share/doc/snomactors/$(basename "$doc")"
  chmod 0644 "$root$prefix/share/doc/snomactors/$(basename "$doc")"
done
(cd "$repo/deploy" && find . -name '*.md' -type f) | while read -r note; do
  install -d -m 0755 "$(dirname "$root$prefix/share/doc/snomactors/deploy/$note")"
  # Their links up into docs/ (../docs/x.md from deploy/) point one level up once installed.
  sed 's|](\.\./docs/|](../|g' "$repo/deploy/$note" > "$root$prefix/share/doc/snomactors/deploy/$note"
  chmod 0644 "$root$prefix/share/doc/snomactors/deploy/$note"
done
install -d -m 0755 "$root$prefix/share/doc/snomactors/screenshots"
for image in "$repo"/docs/screenshots/*.png; do
  [ -e "$image" ] && install -m 0644 "$image" "$root$prefix/share/doc/snomactors/screenshots/"
done

# 7. systemd.
if [ "$systemctl_enabled" = yes ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if [ "$start" = yes ]; then
    systemctl enable --now snomactors.service
    echo "install.sh: started; check with: systemctl status snomactors; snomactors status"
  else
    systemctl enable snomactors.service
    echo "install.sh: enabled; start with: systemctl start snomactors"
  fi
else
  echo "install.sh: systemctl not run; when ready: systemctl daemon-reload && systemctl enable --now snomactors"
fi
echo "install.sh: done"
