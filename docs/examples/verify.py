"""Verifies a Guichet admission token on the origin's side, with PyJWT.

Debian: apt-get install python3-jwt python3-cryptography (pip: "PyJWT[crypto]").
    GATEWAY_URL=https://www.monprojetquebec.example python3 verify.py <token> [admission|session]
Prints the verdict as JSON; exits 0 for a valid token, 1 for a refused one,
2 when the gateway's keys cannot be fetched (not the candidate's fault).
"""
import json
import os
import sys

import jwt

GATEWAY_URL = os.environ["GATEWAY_URL"]  # where the gateway serves /.well-known/jwks.json
ISSUER = os.environ.get("GATEWAY_ISSUER") or GATEWAY_URL  # the tokens' iss: the gateway's public URL
AUDIENCE = os.environ.get("ADMISSION_AUDIENCE") or "mpq-origin"  # the tokens' aud
EVENT = os.environ.get("GUICHET_EVENT") or "csq-2016-06"  # the intake this origin serves: the tokens' evt
REQUIRED = ["iss", "aud", "sub", "jti", "iat", "nbf", "exp", "evt", "num", "dev", "scope"]

# Made once and kept: it keeps the key set 5 minutes and fetches it again when
# a token names an unknown kid. Guichet publishes a new key 20 minutes at least
# before it signs with it.
gateway_keys = jwt.PyJWKClient(GATEWAY_URL.rstrip("/") + "/.well-known/jwks.json")


def keys_unreachable(error):
    # PyJWT 2.8 and later raise PyJWKClientConnectionError; Debian 12's 2.6 says so in the message.
    connection_error = getattr(jwt, "PyJWKClientConnectionError", ())
    return isinstance(error, connection_error) or str(error).startswith("Fail to fetch")


def verify_admission(token, scope="admission"):
    """scope: "admission" where a candidate submits; "session" for a pre-opening session."""
    try:
        key = gateway_keys.get_signing_key_from_jwt(token)  # by the token's kid
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["ES256"],  # never "none", never HS256 keyed with the public key
            issuer=ISSUER,
            audience=AUDIENCE,
            options={"require": REQUIRED},
            leeway=5,  # seconds, for exp and nbf
        )
    except jwt.ExpiredSignatureError:
        return {"ok": False, "refusal": "expired"}
    except jwt.PyJWKClientError as error:
        return {"ok": False, "refusal": "keys_unavailable" if keys_unreachable(error) else "invalid"}
    except jwt.InvalidTokenError:
        return {"ok": False, "refusal": "invalid"}
    except OSError:  # a timeout or a reset while fetching the keys
        return {"ok": False, "refusal": "keys_unavailable"}
    num = claims["num"]
    if (
        claims["evt"] != EVENT
        or claims["scope"] != scope
        or not isinstance(num, int)
        or isinstance(num, bool)
        or claims["dev"] not in ("desktop", "mobile", "tablet")
    ):
        return {"ok": False, "refusal": "invalid"}
    return {"ok": True, "kind": claims["scope"], "claims": claims}


if __name__ == "__main__":
    verdict = verify_admission(sys.argv[1] if len(sys.argv) > 1 else "", sys.argv[2] if len(sys.argv) > 2 else "admission")
    print(json.dumps(verdict))
    sys.exit(0 if verdict["ok"] else 2 if verdict["refusal"] == "keys_unavailable" else 1)
