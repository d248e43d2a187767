"""TLS code points and the names Wireshark shows for them (IANA's TLS registries): content types, handshake
types, alerts, versions, extensions, groups, signature schemes and cipher suites. Tables are total: an unknown
code is shown as ``Unknown (N)``, never an error."""

from __future__ import annotations

CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA, HEARTBEAT = 20, 21, 22, 23, 24

CONTENT_TYPES = {20: "Change Cipher Spec", 21: "Alert", 22: "Handshake", 23: "Application Data",
                 24: "Heartbeat", 25: "Connection ID"}

# Handshake message types: (Info text, fact kind).
HANDSHAKE_TYPES = {
    0: ("Hello Request", "hello_request"),
    1: ("Client Hello", "client_hello"),
    2: ("Server Hello", "server_hello"),
    3: ("Hello Verify Request", "hello_verify_request"),
    4: ("New Session Ticket", "new_session_ticket"),
    5: ("End of Early Data", "end_of_early_data"),
    6: ("Hello Retry Request", "hello_retry_request"),
    8: ("Encrypted Extensions", "encrypted_extensions"),
    11: ("Certificate", "certificate"),
    12: ("Server Key Exchange", "server_key_exchange"),
    13: ("Certificate Request", "certificate_request"),
    14: ("Server Hello Done", "server_hello_done"),
    15: ("Certificate Verify", "certificate_verify"),
    16: ("Client Key Exchange", "client_key_exchange"),
    20: ("Finished", "finished"),
    21: ("Certificate URL", "certificate_url"),
    22: ("Certificate Status", "certificate_status"),
    24: ("Key Update", "key_update"),
    25: ("Compressed Certificate", "compressed_certificate"),
    254: ("Message Hash", "message_hash"),
}

ALERT_LEVELS = {1: "Warning", 2: "Fatal"}
ALERT_DESCRIPTIONS = {
    0: "Close Notify", 10: "Unexpected Message", 20: "Bad Record MAC", 21: "Decryption Failed",
    22: "Record Overflow", 30: "Decompression Failure", 40: "Handshake Failure", 41: "No Certificate",
    42: "Bad Certificate", 43: "Unsupported Certificate", 44: "Certificate Revoked",
    45: "Certificate Expired", 46: "Certificate Unknown", 47: "Illegal Parameter", 48: "Unknown CA",
    49: "Access Denied", 50: "Decode Error", 51: "Decrypt Error", 60: "Export Restriction",
    70: "Protocol Version", 71: "Insufficient Security", 80: "Internal Error",
    86: "Inappropriate Fallback", 90: "User Canceled", 100: "No Renegotiation", 109: "Missing Extension",
    110: "Unsupported Extension", 111: "Certificate Unobtainable", 112: "Unrecognized Name",
    113: "Bad Certificate Status Response", 114: "Bad Certificate Hash Value", 115: "Unknown PSK Identity",
    116: "Certificate Required", 120: "No application Protocol",
}

# Record/handshake versions: (long name for -V and facts, short name for the Protocol column).
VERSIONS = {
    0x0300: ("SSL 3.0", "SSLv3"), 0x0301: ("TLS 1.0", "TLSv1"), 0x0302: ("TLS 1.1", "TLSv1.1"),
    0x0303: ("TLS 1.2", "TLSv1.2"), 0x0304: ("TLS 1.3", "TLSv1.3"),
    0xfeff: ("DTLS 1.0", "DTLSv1.0"), 0xfefd: ("DTLS 1.2", "DTLSv1.2"),
}


def is_grease(value: int) -> bool:
    """RFC 8701 GREASE values: 0x0a0a, 0x1a1a, ... 0xfafa (both bytes equal, low nibble 0xa)."""
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


def version_name(value: int) -> str:
    if is_grease(value):
        return "Reserved (GREASE)"
    if 0x7F00 < value <= 0x7FFF:
        return f"TLS 1.3 (draft {value & 0xFF})"
    return VERSIONS.get(value, (f"Unknown (0x{value:04x})", ""))[0]


EXTENSIONS = {
    0: "server_name", 1: "max_fragment_length", 2: "client_certificate_url", 3: "trusted_ca_keys",
    4: "truncated_hmac", 5: "status_request", 6: "user_mapping", 7: "client_authz", 8: "server_authz",
    9: "cert_type", 10: "supported_groups", 11: "ec_point_formats", 12: "srp", 13: "signature_algorithms",
    14: "use_srtp", 15: "heartbeat", 16: "application_layer_protocol_negotiation",
    17: "status_request_v2", 18: "signed_certificate_timestamp", 19: "client_certificate_type",
    20: "server_certificate_type", 21: "padding", 22: "encrypt_then_mac", 23: "extended_master_secret",
    24: "token_binding", 25: "cached_info", 27: "compress_certificate", 28: "record_size_limit",
    35: "session_ticket", 41: "pre_shared_key", 42: "early_data", 43: "supported_versions", 44: "cookie",
    45: "psk_key_exchange_modes", 47: "certificate_authorities", 48: "oid_filters",
    49: "post_handshake_auth", 50: "signature_algorithms_cert", 51: "key_share", 57: "quic_transport_parameters",
    17513: "application_settings", 65037: "encrypted_client_hello", 65281: "renegotiation_info",
}

GROUPS = {
    1: "sect163k1", 23: "secp256r1", 24: "secp384r1", 25: "secp521r1", 29: "x25519", 30: "x448",
    256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096", 259: "ffdhe6144", 260: "ffdhe8192",
    0x6399: "X25519Kyber768Draft00", 0x11EC: "X25519MLKEM768",
}

SIGNATURE_SCHEMES = {
    0x0201: "rsa_pkcs1_sha1", 0x0203: "ecdsa_sha1", 0x0401: "rsa_pkcs1_sha256", 0x0403: "ecdsa_secp256r1_sha256",
    0x0501: "rsa_pkcs1_sha384", 0x0503: "ecdsa_secp384r1_sha384", 0x0601: "rsa_pkcs1_sha512",
    0x0603: "ecdsa_secp521r1_sha512", 0x0804: "rsa_pss_rsae_sha256", 0x0805: "rsa_pss_rsae_sha384",
    0x0806: "rsa_pss_rsae_sha512", 0x0807: "ed25519", 0x0808: "ed448", 0x0809: "rsa_pss_pss_sha256",
    0x080A: "rsa_pss_pss_sha384", 0x080B: "rsa_pss_pss_sha512",
}

PSK_KE_MODES = {0: "PSK-only key establishment (psk_ke)", 1: "PSK with (EC)DHE key establishment (psk_dhe_ke)"}

CIPHER_SUITES = {
    0x0000: "TLS_NULL_WITH_NULL_NULL", 0x0001: "TLS_RSA_WITH_NULL_MD5", 0x0002: "TLS_RSA_WITH_NULL_SHA",
    0x0004: "TLS_RSA_WITH_RC4_128_MD5", 0x0005: "TLS_RSA_WITH_RC4_128_SHA",
    0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA",
    0x0033: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
    0x0039: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 0x003C: "TLS_RSA_WITH_AES_128_CBC_SHA256",
    0x003D: "TLS_RSA_WITH_AES_256_CBC_SHA256", 0x0067: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
    0x006B: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256",
    0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009E: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    0x009F: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 0x00A8: "TLS_PSK_WITH_AES_128_GCM_SHA256",
    0x00A9: "TLS_PSK_WITH_AES_256_GCM_SHA384", 0x00FF: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
    0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384", 0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0x1304: "TLS_AES_128_CCM_SHA256", 0x1305: "TLS_AES_128_CCM_8_SHA256",
    0x5600: "TLS_FALLBACK_SCSV",
    0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    0xC012: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    0xC023: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xC024: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    0xC027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xC028: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0xC09C: "TLS_RSA_WITH_AES_128_CCM", 0xC09D: "TLS_RSA_WITH_AES_256_CCM",
    0xC0AC: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", 0xC0AD: "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
    0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    0xCCAA: "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}


# TLS 1.3 suites whose AEAD tag is 8 bytes, not 16: an encrypted record of n bytes of content is n + 1 + 8 long
SHORT_TAG_SUITES = frozenset({"TLS_AES_128_CCM_8_SHA256"})


def tag_length(suite: str | None) -> int:
    """The AEAD tag length of a TLS 1.3 cipher suite named as Wireshark names it (16 unless :data:`SHORT_TAG_SUITES`)."""
    return 8 if suite in SHORT_TAG_SUITES else 16


def suite_name(value: int) -> str:
    if is_grease(value):
        return "Reserved (GREASE)"
    return CIPHER_SUITES.get(value, f"Unknown (0x{value:04x})")


def name_of(table: dict[int, str], value: int) -> str:
    if is_grease(value):
        return "Reserved (GREASE)"
    return table.get(value, f"Unknown ({value})")
