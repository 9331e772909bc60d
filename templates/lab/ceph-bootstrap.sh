#!/bin/sh
# The lab's single-node Ceph (mon, mgr, one OSD with BlueStore on a sparse file, radosgw
# with TLS on the S3 port), from Debian's packages and Debian's systemd units. Lab only:
# ikzops consumes a Ceph cluster, it does not build one (cephadm's or Rook's job).
# Idempotent: a bootstrapped node only gets its daemons started.
# usage: ceph-bootstrap.sh ADDRESS S3_PORT   (the TLS key and certificate in /etc/ceph/rgw/)
set -eu
host=$(hostname)
address=$1
port=$2
done=/var/lib/ceph/ikzops-lab-bootstrapped
if [ ! -e "$done" ]; then
    fsid=$(python3 -c 'import uuid; print(uuid.uuid4())')
    cat > /etc/ceph/ceph.conf <<CONF
[global]
fsid = $fsid
mon_initial_members = $host
mon_host = $address
public_network = $address/32
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
# one node: one copy, no failure domain above the OSD
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
# with the autoscaler new pools get pg_num 1 and radosgw fails (ERANGE)
osd_pool_default_pg_autoscale_mode = off
osd_pool_default_pg_num = 8
mon_data_avail_crit = 1
mon_data_avail_warn = 2
osd_memory_target = 1073741824
# BlueStore on a sparse file in the OSD's directory (the lab has no block device)
bluestore_block_create = true
bluestore_block_size = 34359738368

[client.rgw.$host]
rgw_frontends = beast ssl_endpoint=0.0.0.0:$port ssl_certificate=/etc/ceph/rgw/rgw.crt ssl_private_key=/etc/ceph/rgw/rgw.key
rgw_enable_usage_log = true
CONF
    tmp=$(mktemp -d)
    ceph-authtool --create-keyring "$tmp/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool --create-keyring /etc/ceph/ceph.client.admin.keyring --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
    chmod 0600 /etc/ceph/ceph.client.admin.keyring
    ceph-authtool "$tmp/mon.keyring" --import-keyring /etc/ceph/ceph.client.admin.keyring >/dev/null
    monmaptool --create --add "$host" "$address" --fsid "$fsid" "$tmp/monmap" >/dev/null
    install -d -o ceph -g ceph -m 0750 "/var/lib/ceph/mon/ceph-$host"
    chown -R ceph:ceph "$tmp"
    runuser -u ceph -- ceph-mon --mkfs -i "$host" --monmap "$tmp/monmap" --keyring "$tmp/mon.keyring"
    rm -rf "$tmp"
    systemctl enable --now "ceph-mon@$host" 2>/dev/null

    install -d -o ceph -g ceph -m 0750 "/var/lib/ceph/mgr/ceph-$host"
    ceph auth get-or-create "mgr.$host" mon 'allow profile mgr' osd 'allow *' mds 'allow *' \
        -o "/var/lib/ceph/mgr/ceph-$host/keyring"
    chown -R ceph:ceph "/var/lib/ceph/mgr/ceph-$host"
    systemctl enable --now "ceph-mgr@$host" 2>/dev/null

    uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
    id=$(ceph osd new "$uuid")
    install -d -o ceph -g ceph -m 0750 "/var/lib/ceph/osd/ceph-$id"
    # the OSD's key before its mkfs ("failed to fetch mon config" otherwise)
    ceph auth get-or-create "osd.$id" mon 'allow profile osd' mgr 'allow profile osd' osd 'allow *' \
        -o "/var/lib/ceph/osd/ceph-$id/keyring"
    chown -R ceph:ceph "/var/lib/ceph/osd/ceph-$id"
    runuser -u ceph -- ceph-osd -i "$id" --mkfs --osd-uuid "$uuid" 2>/dev/null
    systemctl enable --now "ceph-osd@$id" 2>/dev/null

    install -d -o ceph -g ceph -m 0750 "/var/lib/ceph/radosgw/ceph-rgw.$host"
    ceph auth get-or-create "client.rgw.$host" mon 'allow rw' osd 'allow rwx' \
        -o "/var/lib/ceph/radosgw/ceph-rgw.$host/keyring"
    chown -R ceph:ceph "/var/lib/ceph/radosgw/ceph-rgw.$host"
    chown root:ceph /etc/ceph/rgw/rgw.key && chmod 0640 /etc/ceph/rgw/rgw.key
    systemctl enable --now "ceph-radosgw@rgw.$host" 2>/dev/null
    touch "$done"
fi
# started daemons, after a container restart too
for unit in "ceph-mon@$host" "ceph-mgr@$host" "ceph-radosgw@rgw.$host" $(cd /var/lib/ceph/osd && for d in ceph-*; do echo "ceph-osd@${d#ceph-}"; done); do
    systemctl start "$unit"
done
