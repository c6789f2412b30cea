# public_headers: compile a C and a C++ translation unit that include every
# public header (the ones `cmake --install` installs) and expand the record
# macros, as strict C11 and as C++17 and C++20, with each compiler given.
# No -D_POSIX_C_SOURCE and no GNU extensions: what a user's build has.
# Run with -DSRC=... -DOUT=... -DCCS="cc;clang" -DCXXS="c++;clang++".
set(inc -I${SRC}/src)
set(warn -Wall -Wextra -Werror -pedantic)
set(ran 0)
foreach(cc ${CCS})
  get_filename_component(n ${cc} NAME)
  execute_process(COMMAND ${cc} -std=c11 ${warn} ${inc} -c ${SRC}/tests/install/headers_c.c
                          -o ${OUT}/headers_c-${n}.o
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "public headers as C11 (${n}) failed:\n${err}")
  endif()
  message(STATUS "C11 -pedantic (${n}): ok")
  math(EXPR ran "${ran} + 1")
endforeach()
foreach(cxx ${CXXS})
  get_filename_component(n ${cxx} NAME)
  foreach(std c++17 c++20)
    execute_process(COMMAND ${cxx} -std=${std} ${warn} ${inc} -c ${SRC}/tests/install/headers_cxx.cpp
                            -o ${OUT}/headers_cxx-${n}-${std}.o
                    RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "public headers as ${std} (${n}) failed:\n${err}")
    endif()
    message(STATUS "${std} -pedantic (${n}): ok")
    math(EXPR ran "${ran} + 1")
  endforeach()
endforeach()
# The libraries' own sources too: a build system other than ours (a
# project vendoring src/trace) passes no _POSIX_C_SOURCE; the files that use
# POSIX ask for it themselves.
file(GLOB lib_src ${SRC}/src/trace/*.c ${SRC}/src/gb/*.c ${SRC}/src/debug/*.c)
foreach(cc ${CCS})
  get_filename_component(n ${cc} NAME)
  foreach(f ${lib_src})
    get_filename_component(base ${f} NAME_WE)
    execute_process(COMMAND ${cc} -std=c11 -Wall -Wextra -Werror -fsyntax-only ${f}
                    RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${f} with -std=c11 and no feature macros (${n}) failed:\n${err}")
    endif()
  endforeach()
  message(STATUS "library sources, -std=c11 without feature macros (${n}): ok")
endforeach()

if(ran LESS 3)
  message(FATAL_ERROR "public_headers: needs a C and a C++ compiler (got '${CCS}' and '${CXXS}')")
endif()
