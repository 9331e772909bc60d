# Lab only: test data on a client, run there as `python3 - ROLE_ARGS` by `ikzops lab seed`.
# Files in /srv/data (deterministic, mixed sizes) and, with --postgresql DB, a database
# with rows. Idempotent: existing data is kept.
import hashlib
import os
import subprocess
import sys


def files(root, count):
    os.makedirs(root, exist_ok=True)
    for i in range(count):
        path = os.path.join(root, f"dir{i % 4}", f"file{i:03d}.dat")
        if os.path.exists(path):
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        size = (i * 7919) % 200_000 + 10
        block = hashlib.sha256(f"{path}".encode()).digest()
        with open(path, "wb") as out:
            out.write((block * (size // len(block) + 1))[:size])
    with open(os.path.join(root, "README.txt"), "w") as out:
        out.write("ikzops lab test data\n")

def psql(*args):
    return subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-qtA", *args],
                          capture_output=True, text=True, check=True).stdout.strip()

def postgresql(database):
    subprocess.run(["systemctl", "enable", "--now", "postgresql"], check=True, capture_output=True)
    if not psql("-c", f"SELECT 1 FROM pg_database WHERE datname = '{database}'"):
        psql("-c", f"CREATE DATABASE {database}")
    psql("-d", database, "-c",
         "CREATE TABLE IF NOT EXISTS claims (id serial PRIMARY KEY, applicant text NOT NULL, amount numeric(10,2) NOT NULL);")
    if psql("-d", database, "-c", "SELECT count(*) FROM claims") == "0":
        psql("-d", database, "-c",
             "INSERT INTO claims (applicant, amount) SELECT 'applicant ' || g, (g * 3.17)::numeric(10,2) FROM generate_series(1, 500) g;")

args = sys.argv[1:]
files(args[0], int(args[1]))
if "--postgresql" in args:
    postgresql(args[args.index("--postgresql") + 1])
print("seeded")
