"""A userspace iSCSI initiator that writes: libiscsi (the library libiscsi-bin's tools use)
through ctypes, since libiscsi-bin has no tool that writes data.

Run on a lab host: ``python3 iscsi_write.py PORTAL TARGET LUN INITIATOR OFFSET < data``;
the CHAP user and secret come from LIBISCSI_CHAP_USERNAME / LIBISCSI_CHAP_PASSWORD in the
environment (as libiscsi's own tools read them), never from argv. OFFSET in bytes, a
multiple of the block size; exit 0 when every block was written (SCSI status GOOD).
"""

import ctypes
import os
import sys

SESSION_NORMAL = 2
HEADER_DIGEST_NONE_CRC32C = 1
BLOCK = 512
CHUNK = 1 << 20

lib = ctypes.CDLL("libiscsi.so.7")
lib.iscsi_create_context.restype = ctypes.c_void_p
lib.iscsi_get_error.restype = ctypes.c_char_p
lib.iscsi_get_error.argtypes = [ctypes.c_void_p]
lib.iscsi_write10_sync.restype = ctypes.c_void_p
lib.iscsi_write10_sync.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_uint32,
                                   ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]
lib.scsi_free_scsi_task.argtypes = [ctypes.c_void_p]
for name in ("iscsi_set_targetname", "iscsi_set_session_type", "iscsi_set_header_digest",
             "iscsi_set_initiator_username_pwd", "iscsi_full_connect_sync", "iscsi_logout_sync", "iscsi_destroy_context"):
    getattr(lib, name).argtypes = [ctypes.c_void_p] + {
        "iscsi_set_targetname": [ctypes.c_char_p], "iscsi_set_session_type": [ctypes.c_int],
        "iscsi_set_header_digest": [ctypes.c_int], "iscsi_set_initiator_username_pwd": [ctypes.c_char_p, ctypes.c_char_p],
        "iscsi_full_connect_sync": [ctypes.c_char_p, ctypes.c_int],
    }.get(name, [])


def fail(context, what: str) -> None:
    print(f"{what}: {lib.iscsi_get_error(context).decode(errors='replace')}", file=sys.stderr)
    sys.exit(1)


def main(portal: str, target: str, lun: str, initiator: str, offset: str) -> None:
    context = lib.iscsi_create_context(initiator.encode())
    lib.iscsi_set_targetname(context, target.encode())
    lib.iscsi_set_session_type(context, SESSION_NORMAL)
    lib.iscsi_set_header_digest(context, HEADER_DIGEST_NONE_CRC32C)
    lib.iscsi_set_initiator_username_pwd(context, os.environ["LIBISCSI_CHAP_USERNAME"].encode(),
                                         os.environ["LIBISCSI_CHAP_PASSWORD"].encode())
    if lib.iscsi_full_connect_sync(context, portal.encode(), int(lun)) != 0:
        fail(context, "login")
    lba = int(offset) // BLOCK
    data = sys.stdin.buffer.read()
    for start in range(0, len(data), CHUNK):
        chunk = data[start:start + CHUNK]
        task = lib.iscsi_write10_sync(context, int(lun), lba + start // BLOCK, chunk, len(chunk), BLOCK, 0, 0, 1, 0, 0)
        status = ctypes.c_int.from_address(task).value if task else -1
        if task:
            lib.scsi_free_scsi_task(task)
        if status != 0:
            fail(context, f"write at block {lba + start // BLOCK}: SCSI status {status}")
    lib.iscsi_logout_sync(context)
    lib.iscsi_destroy_context(context)


if __name__ == "__main__":
    main(*sys.argv[1:])
