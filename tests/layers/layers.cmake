cmake_minimum_required(VERSION 3.25)
# The include rule of ARCHITECTURE.md, checked on every #include "..." under
# ${SRC}/src (run with cmake -DSRC=... -P layers.cmake; fails listing every
# include that breaks it). A folder may include only itself and the folders
# below it:
#   trace   nothing else (it knows nothing of the Game Boy)
#   gb      trace
#   debug   trace, and the core's public headers only
#   play    trace, the core's public headers (input scripts, movies, saves)
#   runner  trace, debug, play, the core's public headers
#   cli     everything but the core's internals
# The core's public headers: gb.h (the machine), gb_hooks.h (the debug-hook
# interface) and gb_events.h (the trace event schema).
set(allowed_trace trace)
set(allowed_gb gb trace)
set(allowed_debug debug trace gb-public)
set(allowed_play play trace gb-public)
set(allowed_runner runner debug play trace gb-public)
set(allowed_cli cli runner debug play trace gb-public)
set(gb_public gb.h gb_hooks.h gb_events.h)

file(GLOB_RECURSE files RELATIVE ${SRC}/src ${SRC}/src/*.c ${SRC}/src/*.h)
set(bad "")
set(checked 0)
foreach(f ${files})
  string(REGEX MATCH "^[^/]+" folder "${f}")
  if(NOT DEFINED allowed_${folder})
    string(APPEND bad "  src/${f}: folder '${folder}' has no rule in tests/layers/layers.cmake\n")
    continue()
  endif()
  get_filename_component(dir ${SRC}/src/${f} DIRECTORY)
  file(STRINGS ${SRC}/src/${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line ${lines})
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" inc "${line}")
    # As the compiler finds it: next to the file, else under src/.
    if(EXISTS ${dir}/${inc})
      get_filename_component(target ${dir}/${inc} ABSOLUTE)
    else()
      get_filename_component(target ${SRC}/src/${inc} ABSOLUTE)
    endif()
    file(RELATIVE_PATH rel ${SRC}/src ${target})
    string(REGEX MATCH "^[^/]+" tfolder "${rel}")
    get_filename_component(tname ${rel} NAME)
    math(EXPR checked "${checked} + 1")
    if(tfolder STREQUAL folder)
      continue()
    endif()
    set(kind ${tfolder})
    if(tfolder STREQUAL "gb" AND tname IN_LIST gb_public)
      set(kind gb-public)
    endif()
    if(NOT kind IN_LIST allowed_${folder} AND
       NOT (kind STREQUAL "gb-public" AND "gb" IN_LIST allowed_${folder}))
      string(APPEND bad "  src/${f} includes ${rel}\n")
    endif()
  endforeach()
endforeach()
# The runner's own events (the test span and verdict) are recorded by its
# emitter (src/runner/rn_events.c) alone, never by trace macros scattered
# in the runner.
file(GLOB runner_files ${SRC}/src/runner/*.c)
foreach(f ${runner_files})
  get_filename_component(name ${f} NAME)
  if(name STREQUAL "rn_events.c")
    continue()
  endif()
  file(STRINGS ${f} emits REGEX "CT_EMIT")
  if(emits)
    string(APPEND bad "  src/runner/${name} records an event itself (CT_EMIT): use rn_events.h\n")
  endif()
endforeach()
if(checked EQUAL 0)
  message(FATAL_ERROR "no #include found under ${SRC}/src: wrong SRC?")
endif()
if(NOT bad STREQUAL "")
  message(FATAL_ERROR "includes that break the layering rule (ARCHITECTURE.md):\n${bad}")
endif()
message(STATUS "${checked} includes follow the layering rule")
