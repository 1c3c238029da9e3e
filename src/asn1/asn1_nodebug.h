/* Force-included (-include) into the asn1c-generated code only (src/asn1/asn1.cmake).
 * asn1c 0.9.28 defines ASN_DEBUG, when nobody did, as an empty *function*, so every debug
 * call still evaluates its arguments (ber_tlv_tag_string and snprintf per tag checked).
 * This macro drops them. */
#define ASN_DEBUG(...) ((void)0)
