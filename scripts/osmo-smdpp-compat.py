"""Runs pySim's osmo-smdpp.py (from the current directory, a pySim checkout) with Debian 12's
python3-cryptography 38, for scripts/bench-osmo-smdpp.sh.

pySim's check_signed reads Certificate.signature_algorithm_parameters, which cryptography has
only from version 41 on. This replaces it with the same check (the issuer's key verifies the
certificate's ECDSA signature over its TBS bytes with the certificate's hash algorithm),
written with what version 38 has. Nothing else is changed.
"""
import os
import runpy
import sys

sys.path.insert(0, os.getcwd())

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

import pySim.esim.x509_cert as x509_cert  # noqa: E402


def check_signed(signed, signer):
    signer.public_key().verify(signed.signature, signed.tbs_certificate_bytes,
                               ec.ECDSA(signed.signature_hash_algorithm))


x509_cert.check_signed = check_signed
sys.argv = ["osmo-smdpp.py"]
runpy.run_path("osmo-smdpp.py", run_name="__main__")
