/* File-system PEs (PE-MF, PE-USIM, ..., PE-OPT-IoT): each is a header, a templateID naming a
 * TCA file template, and one `File` member per file of that template, carrying only what
 * differs from the template: doNotCreate, an Fcp, and fill contents (PEDefinitions §"File").
 * The members are found through the generated descriptors, so every file-system PE of the
 * module is handled by the same code. */
#include <stdlib.h>
#include <string.h>

#include "pkg_internal.h"

bool orsp_pe_type_is_fs(orsp_pe_type t)
{
	return t >= ORSP_PE_MF && t <= ORSP_PE_OPT_IOT;
}

size_t fs_members(ProfileElement_t *pe, fs_member *out, size_t cap)
{
	asn_TYPE_descriptor_t *td = NULL;
	char *body = pe_body(pe, &td);
	size_t n = 0;

	if (!body)
		return 0;
	for (int i = 0; i < td->elements_count; i++) {
		asn_TYPE_member_t *m = &td->elements[i];
		File_t *f;
		if (m->type != &asn_DEF_File)
			continue;
		if (m->flags & ATF_POINTER)
			f = *(File_t **)(body + m->memb_offset);
		else
			f = (File_t *)(body + m->memb_offset);
		if (n < cap) {
			out[n].name = m->name;
			out[n].file = f;
		}
		n++;
	}
	return n;
}

File_t *fs_file(ProfileElement_t *pe, const char *name)
{
	fs_member m[ORSP_PKG_MAX_FILES];
	size_t n = fs_members(pe, m, ORSP_ARRAY_LEN(m));

	for (size_t i = 0; i < n && i < ORSP_ARRAY_LEN(m); i++)
		if (strcmp(m[i].name, name) == 0)
			return m[i].file;
	return NULL;
}

OBJECT_IDENTIFIER_t *fs_template(ProfileElement_t *pe)
{
	asn_TYPE_descriptor_t *td = NULL;
	char *body = pe_body(pe, &td);

	if (!body)
		return NULL;
	for (int i = 0; i < td->elements_count; i++) {
		asn_TYPE_member_t *m = &td->elements[i];
		if (m->type == &asn_DEF_OBJECT_IDENTIFIER && strcmp(m->name, "templateID") == 0 &&
		    !(m->flags & ATF_POINTER))
			return (OBJECT_IDENTIFIER_t *)(body + m->memb_offset);
	}
	return NULL;
}

Fcp_t *file_fcp(const File_t *f)
{
	for (int i = 0; f && i < f->list.count; i++)
		if (f->list.array[i] && f->list.array[i]->present == File__Member_PR_fileDescriptor)
			return &f->list.array[i]->choice.fileDescriptor;
	return NULL;
}

size_t file_default_size(const char *name)
{
	/* TS 31.102 §4.2.2 EF.IMSI 9, §4.2.12 EF.SPN 17; TS 102 221 §13.2 EF.ICCID 10. */
	if (strcmp(name, "ef-imsi") == 0)
		return 9;
	if (strcmp(name, "ef-spn") == 0)
		return 17;
	if (strcmp(name, "ef-iccid") == 0)
		return 10;
	return 0;
}

/* A big-endian size field of at most 4 bytes. */
static bool os_size(const OCTET_STRING_t *os, size_t *out)
{
	size_t v = 0;

	if (!os || os->size < 1 || os->size > 4)
		return false;
	for (int i = 0; i < os->size; i++)
		v = (v << 8) | os->buf[i];
	*out = v;
	return true;
}

size_t file_size(const File_t *f, const char *name)
{
	const Fcp_t *fcp = file_fcp(f);
	size_t size = 0;

	if (fcp && os_size(fcp->efFileSize, &size))
		return size;
	return file_default_size(name);
}

size_t file_record_len(const File_t *f, size_t size)
{
	const Fcp_t *fcp = file_fcp(f);
	const OCTET_STRING_t *fd = fcp ? fcp->fileDescriptor : NULL;

	/* TS 102 222: a record file's descriptor is 4 bytes, the record length in 3-4. The TCA
	 * ISIM template (Annex A) creates EF.IMPU with one record, whose length is the size. */
	if (fd && fd->size == 4 && (fd->buf[2] || fd->buf[3]))
		return (size_t)(fd->buf[2] << 8 | fd->buf[3]);
	return size;
}

bool file_defines_content(const File_t *f)
{
	const Fcp_t *fcp = file_fcp(f);

	if (fcp && fcp->proprietaryEFInfo &&
	    (fcp->proprietaryEFInfo->fillPattern || fcp->proprietaryEFInfo->repeatPattern))
		return true;
	for (int i = 0; f && i < f->list.count; i++)
		if (f->list.array[i] &&
		    f->list.array[i]->present == File__Member_PR_fillFileContent)
			return true;
	return false;
}

orsp_err file_content(const pkg_pe *pe, const File_t *f, const char *name, uint8_t *buf, size_t cap,
                      size_t *len)
{
	Fcp_t *fcp = file_fcp(f);
	size_t size = file_size(f, name), pos = 0, end = 0, plen = 0;
	const OCTET_STRING_t *fill = NULL, *repeat = NULL;
	const orsp_pkg_tpl_file *t = orsp_pkg_tpl_find(pe->type, name);
	uint8_t tpat[40];
	char oid[64] = "";

	*len = 0;
	/* no size of the package's: the template's (TCA Annex A), as the eUICC makes the file
	 * (usim_fs.c): TS.48's EF.AD gives content alone (it was read as that content alone, the
	 * bytes the template lays after it missing, until session 68) */
	if (!size && t && pe->asn) {
		oid_text(fs_template(pe->asn), oid, sizeof(oid));
		size = orsp_pkg_tpl_size(t, oid[0] ? oid : NULL);
	}
	if (size > cap)
		return orsp_errf(ORSP_E_RESOURCE, "%s: file of %zu bytes exceeds %zu", name, size,
		                 cap);
	memset(buf, 0xFF, cap);
	if (fcp && fcp->proprietaryEFInfo) {
		fill = fcp->proprietaryEFInfo->fillPattern;
		repeat = fcp->proprietaryEFInfo->repeatPattern;
	}
	if (fill && fill->size > 0) {
		size_t n = size ? size : (size_t)fill->size;
		if (n > cap)
			return orsp_errf(ORSP_E_RESOURCE, "%s: no room", name);
		orsp_pkg_fill_pattern(buf, n, file_record_len(f, n), fill->buf, (size_t)fill->size,
		                      false);
		end = n;
	} else if (repeat && repeat->size > 0) {
		size_t n = size ? size : (size_t)repeat->size;
		if (n > cap)
			return orsp_errf(ORSP_E_RESOURCE, "%s: no room", name);
		orsp_pkg_fill_pattern(buf, n, file_record_len(f, n), repeat->buf,
		                      (size_t)repeat->size, true);
		end = n;
	} else if (size && t && t->fill &&
	           orsp_hex_decode(t->fill, tpat, sizeof(tpat), &plen) == ORSP_OK && plen) {
		/* no pattern of the package's: the template's default content (TCA Annex A), a
		 * fill pattern, under whatever content the package gives, as the eUICC lays it */
		size_t unit = file_record_len(f, size);
		if (unit == size && t->rec_len && size % t->rec_len == 0)
			unit = t->rec_len;
		orsp_pkg_fill_pattern(buf, size, unit, tpat, plen, false);
	}
	for (int i = 0; f && i < f->list.count; i++) {
		const struct File__Member *m = f->list.array[i];
		if (!m)
			continue;
		if (m->present == File__Member_PR_fillFileOffset) {
			/* The offset is relative to the end of the previous content
			 * (PEDefinitions). */
			if (m->choice.fillFileOffset < 0 ||
			    (size_t)m->choice.fillFileOffset > cap - pos)
				return orsp_errf(ORSP_E_RESOURCE, "%s: offset beyond %zu bytes",
				                 name, cap);
			pos += (size_t)m->choice.fillFileOffset;
		} else if (m->present == File__Member_PR_fillFileContent) {
			size_t n = (size_t)m->choice.fillFileContent.size;
			if (n > cap - pos)
				return orsp_errf(ORSP_E_RESOURCE, "%s: content beyond %zu bytes",
				                 name, cap);
			memcpy(buf + pos, m->choice.fillFileContent.buf, n);
			pos += n;
			if (pos > end)
				end = pos;
		}
	}
	*len = size > end ? size : end;
	return ORSP_OK;
}

bool file_do_not_create(const File_t *f)
{
	for (int i = 0; f && i < f->list.count; i++)
		if (f->list.array[i] && f->list.array[i]->present == File__Member_PR_doNotCreate)
			return true;
	return false;
}

File_t *file_created(File_t *f)
{
	return f && !file_do_not_create(f) ? f : NULL;
}

orsp_err file_set_content(File_t *f, const uint8_t *p, size_t n)
{
	struct File__Member *m = NULL;
	asn_TYPE_descriptor_t *mtd = asn_DEF_File.elements[0].type;
	orsp_err e;

	if (file_do_not_create(f))
		return orsp_errf(ORSP_E_POLICY, "the file is marked doNotCreate");
	m = calloc(1, sizeof(*m));
	if (!m)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	m->present = File__Member_PR_fillFileContent;
	e = os_set(&m->choice.fillFileContent, p, n);
	if (e)
		goto out;
	if (ASN_SEQUENCE_ADD(&f->list, m) != 0) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	m = NULL;
	/* Drop the earlier contents (all but the one just added, which is last). */
	for (int i = f->list.count - 2; i >= 0; i--) {
		struct File__Member *old = f->list.array[i];
		if (!old || (old->present != File__Member_PR_fillFileOffset &&
		             old->present != File__Member_PR_fillFileContent))
			continue;
		if (old->present == File__Member_PR_fillFileContent)
			orsp_wipe(old->choice.fillFileContent.buf,
			          (size_t)old->choice.fillFileContent.size);
		asn_sequence_del(&f->list, i, 0);
		ASN_STRUCT_FREE(*mtd, old);
	}
out:
	if (m)
		ASN_STRUCT_FREE(*mtd, m);
	return e;
}

orsp_err orsp_pkg_get_files(const orsp_pkg *pkg, size_t pe, orsp_pkg_fs *out)
{
	fs_member m[ORSP_PKG_MAX_FILES];
	size_t n;
	const pkg_pe *p;

	if (!pkg || !out || pe >= pkg->n)
		return orsp_errf(ORSP_E_USAGE, "no PE #%zu", pe);
	p = &pkg->pe[pe];
	if (!orsp_pe_type_is_fs(p->type) || !p->asn)
		return pe_errf(pe, p->type, ORSP_E_USAGE, "not a file-system PE");
	memset(out, 0, sizeof(*out));
	out->pe_index = pe;
	oid_text(fs_template(p->asn), out->template_oid, sizeof(out->template_oid));
	n = fs_members(p->asn, m, ORSP_ARRAY_LEN(m));
	if (n > ORSP_ARRAY_LEN(m))
		return pe_errf(pe, p->type, ORSP_E_RESOURCE, "more than %d file members",
		               ORSP_PKG_MAX_FILES);
	for (size_t i = 0; i < n; i++) {
		orsp_pkg_file *o;
		Fcp_t *fcp;
		if (!m[i].file)
			continue;
		o = &out->files[out->n_files++];
		o->name = m[i].name;
		fcp = file_fcp(m[i].file);
		if (fcp) {
			o->has_fcp = true;
			if (fcp->fileID && fcp->fileID->size == 2) {
				o->has_fid = true;
				o->fid = (uint16_t)(fcp->fileID->buf[0] << 8 | fcp->fileID->buf[1]);
			}
			o->has_size = os_size(fcp->efFileSize, &o->size);
			if (fcp->proprietaryEFInfo) {
				o->has_fill_pattern = fcp->proprietaryEFInfo->fillPattern != NULL;
				o->has_repeat_pattern =
				    fcp->proprietaryEFInfo->repeatPattern != NULL;
			}
		}
		for (int j = 0; j < m[i].file->list.count; j++) {
			const struct File__Member *fm = m[i].file->list.array[j];
			if (!fm)
				continue;
			if (fm->present == File__Member_PR_doNotCreate)
				o->do_not_create = true;
			if (fm->present == File__Member_PR_fillFileContent) {
				o->n_content++;
				o->content_len += (size_t)fm->choice.fillFileContent.size;
			}
		}
	}
	return ORSP_OK;
}

orsp_err orsp_pkg_file_read(const orsp_pkg *pkg, size_t pe, const char *name, uint8_t *buf,
                            size_t cap, size_t *len)
{
	const pkg_pe *p;
	File_t *f;

	if (!pkg || !name || !buf || !len || pe >= pkg->n)
		return orsp_errf(ORSP_E_USAGE, "no PE #%zu", pe);
	p = &pkg->pe[pe];
	f = orsp_pe_type_is_fs(p->type) ? fs_file(p->asn, name) : NULL;
	if (!f)
		return pe_errf(pe, p->type, ORSP_E_NOT_FOUND, "no file %s", name);
	return file_content(p, f, name, buf, cap, len);
}
