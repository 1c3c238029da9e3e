# ASN.1 codecs generated at build time by asn1c (Debian package asn1c, 0.9.28) from the official
# modules in src/asn1/modules/. Nothing generated is kept in the source tree or edited: it is
# produced under <build>/asn1/<set>/ by add_custom_command and compiled without warnings (it is
# not our code). See docs/asn1.md.
#
# orsp_asn1_set(<set> PREFIX <prefix> [WIPE_ALLOC] MODULES <file.asn>...) defines
#   orsp_asn1_<set>      static library; every global symbol renamed to <prefix><name>;
#                        consumers `#include "orsp_asn1_<set>.h"` (one set per .c file)
#                        WIPE_ALLOC: the set's malloc, calloc, realloc and free are renamed to
#                        orsp_core's wiping allocator (orsp_wipe_free ...), for sets that
#                        decode secrets
# and expects src/asn1/<set>.sources, the list of .c files asn1c writes for those modules.

find_program(ORSP_ASN1C asn1c)
if(NOT ORSP_ASN1C)
  message(FATAL_ERROR "asn1c not found: install the Debian package asn1c (scripts/setup.sh)")
endif()
execute_process(COMMAND ${ORSP_ASN1C} -version OUTPUT_VARIABLE _asn1c_v ERROR_VARIABLE _asn1c_v)
if(NOT _asn1c_v MATCHES "v0\\.9\\.28")
  # The manifests (src/asn1/*.sources) list what 0.9.28 generates; another version differs.
  message(FATAL_ERROR "asn1c 0.9.28 required (Debian bookworm package asn1c), found: ${_asn1c_v}")
endif()
foreach(_tool CMAKE_LINKER CMAKE_NM CMAKE_OBJCOPY)
  if(NOT ${_tool})
    message(FATAL_ERROR "${_tool} not found: binutils are needed to prefix asn1c symbols")
  endif()
endforeach()

set(ORSP_ASN1_DIR ${CMAKE_SOURCE_DIR}/src/asn1)
set(ORSP_ASN1_OUT ${CMAKE_BINARY_DIR}/asn1)

function(orsp_asn1_set set)
  cmake_parse_arguments(A "WIPE_ALLOC" "PREFIX" "MODULES" ${ARGN})
  set(dir ${ORSP_ASN1_OUT}/${set})
  set(manifest ${ORSP_ASN1_DIR}/${set}.sources)
  list(TRANSFORM A_MODULES PREPEND ${ORSP_ASN1_DIR}/modules/ OUTPUT_VARIABLE modules)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${manifest})
  file(STRINGS ${manifest} names)
  list(TRANSFORM names PREPEND ${dir}/ OUTPUT_VARIABLE generated)

  add_custom_command(
    OUTPUT ${generated} ${dir}/orsp_derived.inc ${dir}/.generated
    COMMAND ${CMAKE_COMMAND} -DASN1C=${ORSP_ASN1C} -DOUT=${dir} -DMANIFEST=${manifest}
            "-DMODULES=${modules}" -P ${ORSP_ASN1_DIR}/asn1gen.cmake
    DEPENDS ${modules} ${manifest} ${ORSP_ASN1_DIR}/asn1gen.cmake
    COMMENT "asn1c: generating module set ${set}"
    VERBATIM)

  # Generated code: warnings off for these files only; sanitizer and fuzzer instrumentation
  # (global compile options) still apply. Never link-time optimised (-fno-lto after any -flto
  # in CMAKE_C_FLAGS, and no INTERPROCEDURAL_OPTIMIZATION): asn1prefix.cmake renames the
  # symbols of the machine code with objcopy, which leaves LTO's intermediate code (and the
  # names in it) as they were, so an LTO link found none of the prefixed names.
  add_library(orsp_asn1_${set}_gen OBJECT ${generated})
  target_include_directories(orsp_asn1_${set}_gen PRIVATE ${dir})
  target_compile_options(orsp_asn1_${set}_gen PRIVATE -w -fno-lto)
  set_target_properties(orsp_asn1_${set}_gen PROPERTIES INTERPROCEDURAL_OPTIMIZATION OFF)
  # asn1c 0.9.28 defines ASN_DEBUG (when it is not defined already) as an empty *function*,
  # so every debug call still evaluates its arguments: ber_tlv_tag_string() and snprintf on
  # each tag checked. That was over a third of the SM-DP+'s CPU per download (bench smdp).
  # A macro that drops the arguments removes it (a function-style -D is not portable, hence
  # the forced include).
  target_compile_options(orsp_asn1_${set}_gen PRIVATE -include
                         ${PROJECT_SOURCE_DIR}/src/asn1/asn1_nodebug.h)
  if(ORSP_SANITIZE OR ORSP_FUZZ)
    # Two idioms of asn1c 0.9.28's runtime that UBSan reports although every compiler we use
    # defines them: NULL + 0 (UTF8String.c counts the characters of every UTF8String with a
    # NULL destination) and left shifts of negative values (INTEGER.c decoding a negative
    # INTEGER). Not our code, and harmless; every other sanitizer check stays on for it
    # (docs/asn1.md).
    target_compile_options(orsp_asn1_${set}_gen PRIVATE -fno-sanitize=pointer-overflow,shift-base)
  endif()

  # Our code, joined to the set's objects below (and so prefixed with them): a constructor
  # that runs every derived type's inherit_TYPE_descriptor once, before main, over the list
  # asn1gen.cmake writes (orsp_derived.inc; docs/asn1.md, "Threads"). Held to our warnings;
  # never link-time optimised either.
  # The list is not one of its sources: a second target holding an output of the generation
  # command gets that command too, and a parallel make ran it twice at once, one run deleting
  # the directory the other was reading. It is built after the generation instead, and its
  # #include of the list (found in the compiler's dependency scan) rebuilds it when the list
  # changes.
  add_library(orsp_asn1_${set}_inherit OBJECT ${ORSP_ASN1_DIR}/asn1_inherit.c)
  add_dependencies(orsp_asn1_${set}_inherit orsp_asn1_${set}_gen)
  target_include_directories(orsp_asn1_${set}_inherit SYSTEM PRIVATE ${dir})
  target_compile_options(orsp_asn1_${set}_inherit PRIVATE -fno-lto)
  set_target_properties(orsp_asn1_${set}_inherit PROPERTIES INTERPROCEDURAL_OPTIMIZATION OFF)

  set(objects $<TARGET_OBJECTS:orsp_asn1_${set}_gen> $<TARGET_OBJECTS:orsp_asn1_${set}_inherit>)
  set(objlist ${ORSP_ASN1_OUT}/${set}.objects)
  file(GENERATE OUTPUT ${objlist} CONTENT "$<JOIN:${objects},\n>\n")
  set(obj ${ORSP_ASN1_OUT}/${set}_prefixed.o)
  set(names_h ${ORSP_ASN1_OUT}/orsp_asn1_${set}_names.h)
  set(umbrella_h ${ORSP_ASN1_OUT}/orsp_asn1_${set}.h)
  add_custom_command(
    OUTPUT ${obj} ${names_h} ${umbrella_h}
    COMMAND ${CMAKE_COMMAND} -DLD=${CMAKE_LINKER} -DNM=${CMAKE_NM} -DOBJCOPY=${CMAKE_OBJCOPY}
            -DOBJECT_LIST=${objlist} -DPREFIX=${A_PREFIX} -DSET=${set} -DMANIFEST=${manifest}
            -DOUT_OBJ=${obj} -DNAMES_H=${names_h} -DUMBRELLA_H=${umbrella_h}
            -DWIPE_ALLOC=${A_WIPE_ALLOC}
            -P ${ORSP_ASN1_DIR}/asn1prefix.cmake
    DEPENDS orsp_asn1_${set}_gen orsp_asn1_${set}_inherit ${objects} ${objlist}
            ${ORSP_ASN1_DIR}/asn1prefix.cmake
    COMMENT "asn1c: prefixing module set ${set} symbols with ${A_PREFIX}"
    VERBATIM)

  add_library(orsp_asn1_${set} STATIC ${obj} ${names_h} ${umbrella_h})
  set_target_properties(orsp_asn1_${set} PROPERTIES LINKER_LANGUAGE C)
  # SYSTEM: generated headers are not held to our warning flags.
  target_include_directories(orsp_asn1_${set} SYSTEM PUBLIC ${ORSP_ASN1_OUT} ${dir})
  if(A_WIPE_ALLOC)
    target_link_libraries(orsp_asn1_${set} PUBLIC orsp_core)
  endif()
endfunction()
