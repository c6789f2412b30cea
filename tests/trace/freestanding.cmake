# recorder_freestanding: compile the ring and a user of the record path with
# -ffreestanding -nostdlib, link them into one relocatable object and fail if
# it references any symbol it does not define (that is, anything from libc).
# Run with -DCC=... -DSRC=... -DOUT=...
foreach(opt O0 O2)
  set(objs "")
  foreach(src ${SRC}/src/trace/ring.c ${SRC}/src/trace/record.c
              ${SRC}/tests/trace/freestanding_emit.c)
    get_filename_component(name ${src} NAME_WE)
    set(obj ${OUT}/${name}-${opt}.o)
    execute_process(
      COMMAND ${CC} -std=c11 -${opt} -Wall -Wextra -Werror -ffreestanding -nostdlib
              -fno-stack-protector -I${SRC}/src -c ${src} -o ${obj}
      RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "freestanding build of ${src} (-${opt}) failed:\n${err}")
    endif()
    list(APPEND objs ${obj})
  endforeach()
  set(all ${OUT}/recorder-freestanding-${opt}.o)
  execute_process(COMMAND ${CC} -nostdlib -r ${objs} -o ${all}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "linking ${all} failed:\n${err}")
  endif()
  execute_process(COMMAND nm -u ${all} OUTPUT_VARIABLE undef RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm -u ${all} failed")
  endif()
  if(NOT undef STREQUAL "")
    message(FATAL_ERROR "the freestanding recorder (-${opt}) references:\n${undef}")
  endif()
  message(STATUS "ring.c + record.c + CT_EMIT user (-${opt}): no undefined symbols")
endforeach()
