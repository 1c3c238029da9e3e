/* The libraries behind the http module, for `openrsp --version`. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>

#include "openrsp/http.h"

bool orsp_http_header_layout_checked(void)
{
	return strcmp(MHD_get_version(), "0.9.75") == 0;
}

const char *orsp_http_library_versions(char *buf, size_t cap)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	if (!buf || !cap)
		return buf;
	snprintf(buf, cap,
	         "libmicrohttpd %s (header section layout %s, docs/http.md)\n"
	         "GnuTLS %s\nlibcurl %s%s%s\njansson %s\n",
	         MHD_get_version(),
	         orsp_http_header_layout_checked() ? "checked"
	                                           : "not checked: keep a proxy in front",
	         gnutls_check_version(NULL), cv->version, cv->ssl_version ? " with " : "",
	         cv->ssl_version ? cv->ssl_version : "", jansson_version_str());
	return buf;
}
