# Build step (cmake -P): run asn1c over one module set into a fresh directory of the build
# tree and check that it produced exactly the files CMake was told to compile.
#
#   cmake -DASN1C=<asn1c> -DOUT=<dir> -DMANIFEST=<set>.sources -DMODULES=<a.asn;b.asn>
#         [-DWRITE_MANIFEST=1] -P asn1gen.cmake
#
# The generated code is never edited by hand; this script makes two rewrites of it (at the
# end) and writes one file of its own, orsp_derived.inc, the list of the derived types (for
# src/asn1/asn1_inherit.c). The only files removed are asn1c's usage examples
# (converter-sample.c, Makefile.am.sample, pdu_collection.c), which are not part of the codec.
# WRITE_MANIFEST=1 rewrites the manifest instead of checking it (for a new module set; see
# docs/asn1.md).
cmake_minimum_required(VERSION 3.20)

foreach(v ASN1C OUT MANIFEST MODULES)
	if(NOT DEFINED ${v})
		message(FATAL_ERROR "asn1gen: ${v} is not set")
	endif()
endforeach()

file(REMOVE_RECURSE "${OUT}" "${OUT}-modules")
file(MAKE_DIRECTORY "${OUT}" "${OUT}-modules")

# The one preprocessing step (docs/asn1.md). asn1c 0.9.28 ignores the tag of a tagged
# SEQUENCE OF component: constr_SET_OF.c decodes and encodes each member with tag mode 0, so
# `SEQUENCE OF [7] OCTET STRING` (SGP.22 BoundProfilePackage) would be read and written as
# untagged OCTET STRINGs. Each such component becomes a reference to a new type that carries
# the tag, `OrspTagged7OctetString ::= [7] OCTET STRING`, added before the module's END. In
# the module's tagging environment this denotes the same encoding; nothing else is touched.
# Only OCTET STRING and type references (second letter lower case, so no built-in keyword)
# are rewritten.
set(modules_used "")
foreach(m IN LISTS MODULES)
	file(READ "${m}" text)
	set(defs "")
	string(REGEX MATCHALL "SEQUENCE OF \\[[0-9]+\\] (OCTET STRING|[A-Z][a-z][A-Za-z0-9-]*)"
		hits "${text}")
	list(REMOVE_DUPLICATES hits)
	foreach(hit IN LISTS hits)
		string(REGEX REPLACE "^SEQUENCE OF \\[([0-9]+)\\] (.*)$" "\\1" num "${hit}")
		string(REGEX REPLACE "^SEQUENCE OF \\[([0-9]+)\\] (.*)$" "\\2" type "${hit}")
		string(REPLACE "OCTET STRING" "OctetString" tname "${type}")
		string(REPLACE "-" "" tname "${tname}")
		set(name "OrspTagged${num}${tname}")
		string(REPLACE "${hit}" "SEQUENCE OF ${name}" text "${text}")
		string(APPEND defs "${name} ::= [${num}] ${type}\n")
	endforeach()
	if(defs)
		string(REGEX REPLACE "END[ \t\r\n]*$"
			"-- Added by src/asn1/asn1gen.cmake (docs/asn1.md):\n${defs}\nEND\n" text "${text}")
	endif()
	get_filename_component(base "${m}" NAME)
	if(defs)
		file(WRITE "${OUT}-modules/${base}" "${text}")
	else()
		file(COPY_FILE "${m}" "${OUT}-modules/${base}")
	endif()
	list(APPEND modules_used "${OUT}-modules/${base}")
endforeach()

# -fcompound-names: nested types get their parent's name (no clashes between identically named
# inner SEQUENCEs); -fincludes-quoted: generated headers find their siblings first, so two module
# sets can live side by side in one include tree.
execute_process(
	COMMAND "${ASN1C}" -fcompound-names -fincludes-quoted ${modules_used}
	WORKING_DIRECTORY "${OUT}"
	RESULT_VARIABLE rc
	OUTPUT_VARIABLE log
	ERROR_VARIABLE log)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "asn1gen: asn1c failed (${rc}) on ${MODULES}:\n${log}")
endif()
file(REMOVE "${OUT}/converter-sample.c" "${OUT}/Makefile.am.sample" "${OUT}/pdu_collection.c")

file(GLOB generated RELATIVE "${OUT}" "${OUT}/*.c")
list(SORT generated)

if(WRITE_MANIFEST)
	list(JOIN generated "\n" text)
	file(WRITE "${MANIFEST}" "${text}\n")
	list(LENGTH generated n)
	message(STATUS "asn1gen: wrote ${MANIFEST} (${n} files)")
	return()
endif()

file(STRINGS "${MANIFEST}" expected)
list(SORT expected)
if(NOT generated STREQUAL expected)
	set(extra ${generated})
	list(REMOVE_ITEM extra ${expected})
	set(missing ${expected})
	list(REMOVE_ITEM missing ${generated})
	message(FATAL_ERROR "asn1gen: asn1c output does not match ${MANIFEST}\n"
		"  produced but not listed: ${extra}\n  listed but not produced: ${missing}\n"
		"A different asn1c version or a changed module; see docs/asn1.md (WRITE_MANIFEST).")
endif()
# Rewrite 1 of generated code (docs/asn1.md). asn1c 0.9.28 gives a type defined from
# another with a constraint (UInt15 ::= INTEGER (0..32767), ApplicationIdentifier ::= OCTET
# STRING (SIZE(5..16))) a descriptor whose check_constraints is <T>_constraint, but each of
# its codec functions first copies the base type's functions into that descriptor
# (<T>_1_inherit_TYPE_descriptor), check_constraints among them: from the first decode,
# encode, print or free of the type on, asn_check_constraints ran the base's check (none for
# INTEGER and OCTET STRING) and never the type's own. That copy is dropped, so the descriptor
# keeps <T>_constraint (which checks a string type's alphabet itself). A SIZE on a SEQUENCE OF
# type ends in the base's checks through td->check_constraints, which would now call itself:
# it calls the base's descriptor instead. Types without a constraint of their own keep
# replacing their check by the base's (<T>_constraint), which is now the base's own.
#
# Rewrite 2: no codec call writes shared data (docs/asn1.md, "Threads"). Decoding, encoding,
# checking and freeing run on many threads at once (the SM-DP+'s request threads), and asn1c
# 0.9.28 fills some global tables lazily, from whichever call comes first:
# - a derived type's codec functions copy the base's functions, elements and specifics into
#   its global descriptor at every call (<T>_1_inherit_TYPE_descriptor). That stays, but runs
#   once before main for every such type (src/asn1/asn1_inherit.c, over the list written
#   below); from then on the descriptor holds the base's functions and <T>_free, <T>_decode_ber
#   ... are never called again;
# - a derived type without a constraint of its own stores the base's check in its descriptor
#   on the first check (<T>_constraint, "Replace with underlying type checker"): it now calls
#   the base's check without storing it;
# - the checks of SEQUENCE, SET, CHOICE and SET OF cache each member type's check in the
#   shared member table (elm->memb_constraints) after calling it: the cache is dropped, the
#   member type's check is called through its descriptor each time, as on the first call.
set(inherit_re "\ttd->check_constraints = asn_DEF_([A-Za-z0-9_]+)\\.check_constraints;\n\ttd->ber_decoder ")
set(inner "/* Perform validation of the inner elements */\n\t\treturn ")
string(CONCAT replace_re "\t/\\* Replace with underlying type checker \\*/\n"
	"\ttd->check_constraints = asn_DEF_([A-Za-z0-9_]+)\\.check_constraints;\n"
	"\treturn td->check_constraints\\(td, sptr, ctfailcb, app_key\\);")
string(CONCAT replace_by
	"\t/* The underlying type's check, not stored in td (src/asn1/asn1gen.cmake) */\n"
	"\treturn asn_DEF_\\1.check_constraints(td, sptr, ctfailcb, app_key);")
string(CONCAT cache_re "\n(\t+)/\\*\n"
	"\t+ \\* Cannot inherit it e[a-z]+:\n" # sic: "eralier" in two of them
	"\t+ \\* need to make sure we get the updated version\\.\n"
	"\t+ \\*/\n"
	"(\t+if\\(!elm->memb_constraints\\)\n)?" # SET_OF
	"\t+elm->memb_constraints = elm->type->check_constraints;\n")
set(cache_by
	"\n\\1/* not cached in elm->memb_constraints, a shared table (src/asn1/asn1gen.cmake) */\n")
set(derived "")
foreach(f IN LISTS generated)
	file(READ "${OUT}/${f}" text)
	set(before "${text}")
	string(REGEX REPLACE "${replace_re}" "${replace_by}" text "${text}")
	if(f MATCHES "^constr_(SEQUENCE|SET|CHOICE|SET_OF)\\.c$")
		set(cached "${text}")
		string(REGEX REPLACE "${cache_re}" "${cache_by}" text "${text}")
		if(text STREQUAL cached)
			message(FATAL_ERROR "asn1gen: ${f}: no memb_constraints cache of the form asn1c "
				"0.9.28 writes (docs/asn1.md)")
		endif()
	endif()
	set(helper "_inherit_TYPE_descriptor\\(asn_TYPE_descriptor_t \\*td\\) {")
	if(text MATCHES "${helper}")
		if(NOT text MATCHES "\nstatic void\n([A-Za-z0-9_]+)_1${helper}")
			message(FATAL_ERROR "asn1gen: ${f}: an inherit_TYPE_descriptor not named as asn1c "
				"0.9.28 names it (docs/asn1.md)")
		endif()
		set(type "${CMAKE_MATCH_1}")
		if(NOT text MATCHES "\nasn_TYPE_descriptor_t asn_DEF_${type} = {")
			message(FATAL_ERROR "asn1gen: ${f}: no global descriptor asn_DEF_${type} for its "
				"inherit_TYPE_descriptor (docs/asn1.md)")
		endif()
		string(APPEND derived "ORSP_ASN1_DERIVED(${type})\n")
		if(NOT text MATCHES "${inherit_re}")
			message(FATAL_ERROR "asn1gen: ${f}: an inherit_TYPE_descriptor that does not copy "
				"check_constraints as asn1c 0.9.28 does (docs/asn1.md)")
		endif()
		set(base "${CMAKE_MATCH_1}")
		string(REPLACE "\ttd->check_constraints = asn_DEF_${base}.check_constraints;\n\ttd->ber_decoder "
			"\t/* check_constraints: the type's own (src/asn1/asn1gen.cmake) */\n\ttd->ber_decoder "
			text "${text}")
		string(REPLACE "${inner}td->check_constraints(td,"
			"${inner}asn_DEF_${base}.check_constraints(&asn_DEF_${base}," text "${text}")
	endif()
	if(text MATCHES
		"Replace with underlying type checker|td->check_constraints = |memb_constraints = elm")
		message(FATAL_ERROR "asn1gen: ${f}: a lazy store of a check into a shared descriptor "
			"that the rewrites do not know: \"${CMAKE_MATCH_0}\" (docs/asn1.md)")
	endif()
	if(NOT text STREQUAL before)
		file(WRITE "${OUT}/${f}" "${text}")
	endif()
endforeach()
file(WRITE "${OUT}/orsp_derived.inc"
	"/* Generated by src/asn1/asn1gen.cmake: do not edit. Every type of this set whose codec\n"
	" * functions copy a base type's into its descriptor (<T>_1_inherit_TYPE_descriptor), for\n"
	" * src/asn1/asn1_inherit.c: ORSP_ASN1_DERIVED(T) names asn_DEF_T. */\n${derived}")
file(TOUCH "${OUT}/.generated")
