# recorder_freestanding: compile the ring and a user of the record path with
# -ffreestanding -nostdlib, link them into one relocatable object and fail if
# it references any symbol it does not define (that is, anything from libc).
# Run with -DCC=... -DSRC=... -DOUT=... [-DCLANG=...]: every optimisation
# level with CC, and with Clang too when given (Clang at -O0 turned an array
# initialiser in the record macro into a call to memset).
set(compilers ${CC})
if(CLANG AND NOT CLANG STREQUAL CC)
  list(APPEND compilers ${CLANG})
endif()
foreach(cc ${compilers})
get_filename_component(ccname ${cc} NAME)
foreach(opt O0 O1 O2 O3 Os)
  set(objs "")
  foreach(src ${SRC}/src/trace/ring.c ${SRC}/src/trace/record.c
              ${SRC}/tests/trace/freestanding_emit.c)
    get_filename_component(name ${src} NAME_WE)
    set(obj ${OUT}/${name}-${ccname}-${opt}.o)
    execute_process(
      COMMAND ${cc} -std=c11 -${opt} -Wall -Wextra -Werror -ffreestanding -nostdlib
              -fno-stack-protector -I${SRC}/src -c ${src} -o ${obj}
      RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "freestanding build of ${src} (-${opt}) failed (${ccname}):\n${err}")
    endif()
    list(APPEND objs ${obj})
  endforeach()
  set(all ${OUT}/recorder-freestanding-${ccname}-${opt}.o)
  execute_process(COMMAND ${cc} -nostdlib -r ${objs} -o ${all}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "linking ${all} failed:\n${err}")
  endif()
  execute_process(COMMAND nm -u ${all} OUTPUT_VARIABLE undef RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm -u ${all} failed")
  endif()
  if(NOT undef STREQUAL "")
    message(FATAL_ERROR "the freestanding recorder (${ccname} -${opt}) references:\n${undef}")
  endif()
  message(STATUS "ring.c + record.c + CT_EMIT user (${ccname} -${opt}): no undefined symbols")
endforeach()
endforeach()
