from pathlib import Path

from ikzops import templates
from ikzops.model.loader import load
from ikzops.san.targets import targets_for

ROOT = Path(__file__).resolve().parents[3]


def test_one_target_per_partner_on_each_storage_host():
    p = load(ROOT / "inventories/lab.py")
    targets = targets_for(p, "city-san")
    assert [t.iqn for t in targets] == [
        "iqn.2026-11.org.ikzops:lab.city.city-san",
        "iqn.2026-11.org.ikzops:lab.district.city-san",
    ]
    assert targets[1].chap_user == "lab-district"
    assert targets[1].initiators == ("iqn.2026-11.lab.ikzops:district-app",)


def test_file_backed_lun_lives_in_its_pool_directory():
    p = load(ROOT / "inventories/lab.py")
    lun = targets_for(p, "district-san")[0].luns[0]
    assert (lun.number, lun.backing, lun.device) == (1, "file", "/srv/ikzops/san/district-archive.img")


def test_lvm_backed_lun_is_a_logical_volume_in_its_vg():
    p = load(ROOT / "inventories/saar_partners.py")
    sb = targets_for(p, "sb-san1.it.example")
    assert [t.partner for t in sb] == ["sb", "spk"]
    lun = sb[0].luns[0]
    assert (lun.backing, lun.vg, lun.device) == ("lvm", "vg_san_ssd", "/dev/vg_san_ssd/ikz-sb-vmstore")


def test_rendered_target_config_binds_names_not_all_addresses():
    p = load(ROOT / "inventories/saar_partners.py")
    target = targets_for(p, "sb-san1.it.example")[0]
    text = templates.render("storage/tgt-target.conf.j2", host="sb-san1", target=target, chap_secret="s3cret")
    assert "<backing-store /dev/vg_san_ssd/ikz-sb-vmstore>" in text
    assert "incominguser saar-sb s3cret" in text
    assert text.count("initiator-name ") == 2
    assert "initiator-address 255.255.255.255/32" in text
    assert "initiator-address ALL" not in text

