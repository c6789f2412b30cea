# Installation: `cmake --install build [--prefix P]` (or `make install
# PREFIX=P`) puts
#
#   bin/ceres                          the program
#   lib/libceres-trace.{a,so.0}        the flight recorder: freestanding record
#                                      path + hosted dump, exporters, readers
#                                      (needs zlib and libm, nothing else)
#   lib/libceres-gb.{a,so.0}           the emulator core (needs libceres-trace)
#   include/ceres/trace/ct.h           public headers (docs/library.md says
#   include/ceres/trace/ct_host.h      which and why); the others stay
#   include/ceres/trace/ct_tools.h     internal and are not installed
#   include/ceres/gb/gb.h
#   include/ceres/gb/gb_events.h, gb_hooks.h
#   lib/pkgconfig/ceres-{trace,gb}.pc
#   lib/cmake/CeresTrace/, lib/cmake/CeresGB/   find_package() configs
#   share/ceres/suites/                the test-suite manifests
#   share/man/man1/ceres.1, bash and zsh completions
#
# Nothing installed names the build or source tree: the program finds its
# data relative to its own location (PREFIX/bin/../share/ceres), and the
# package files relative to theirs, so an installed tree can be moved.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

option(CERES_SHARED_LIBS "Also build the shared libraries libceres-trace.so and libceres-gb.so" ON)

set(CERES_SOVERSION 0)
set(CERES_PUBLIC_TRACE_HEADERS
    ${CMAKE_SOURCE_DIR}/src/trace/ct.h
    ${CMAKE_SOURCE_DIR}/src/trace/ct_host.h
    ${CMAKE_SOURCE_DIR}/src/trace/ct_tools.h)
set(CERES_PUBLIC_GB_HEADERS
    ${CMAKE_SOURCE_DIR}/src/gb/gb.h
    ${CMAKE_SOURCE_DIR}/src/gb/gb_events.h
    ${CMAKE_SOURCE_DIR}/src/gb/gb_hooks.h)

# The data directory of the build tree mirrors the installed one, so the
# program in build/bin finds build/share/ceres/suites the same way an
# installed one finds PREFIX/share/ceres/suites (links, not copies: editing a
# manifest in suites/ takes effect without reconfiguring). The test ROMs are
# not installed; the build tree links the shared copy when there is one.
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/share/ceres)
file(CREATE_LINK ${CMAKE_SOURCE_DIR}/suites ${CMAKE_BINARY_DIR}/share/ceres/suites SYMBOLIC)
if(EXISTS ${CERES_DEFAULT_TESTROMS})
  file(CREATE_LINK ${CERES_DEFAULT_TESTROMS} ${CMAKE_BINARY_DIR}/share/ceres/testroms SYMBOLIC)
endif()

# Static archives: the targets the program itself links.
set_target_properties(ceres_trace PROPERTIES OUTPUT_NAME ceres-trace EXPORT_NAME ceres-trace-static
                      ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
set_target_properties(ceres_gb PROPERTIES OUTPUT_NAME ceres-gb EXPORT_NAME ceres-gb-static
                      ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
target_include_directories(ceres_trace INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/ceres>)

set(CERES_TRACE_TARGETS ceres_trace)
set(CERES_GB_TARGETS ceres_gb)
# (Not in sanitizer builds: nothing there installs or links them, and the
# emulator core would be compiled a second time under ASan for nothing.)
if(CERES_SHARED_LIBS AND NOT CERES_SANITIZE)
  get_target_property(trace_src ceres_trace SOURCES)
  get_target_property(gb_src ceres_gb SOURCES)
  add_library(ceres_trace_shared SHARED ${trace_src})
  target_include_directories(ceres_trace_shared PUBLIC
    $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/src>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/ceres>)
  target_link_libraries(ceres_trace_shared PRIVATE m ZLIB::ZLIB)
  add_library(ceres_gb_shared SHARED ${gb_src})
  target_link_libraries(ceres_gb_shared PUBLIC ceres_trace_shared)
  # libceres-gb finds libceres-trace beside itself, wherever the tree is.
  set_target_properties(ceres_gb_shared PROPERTIES INSTALL_RPATH "$ORIGIN")
  foreach(t trace gb)
    set_target_properties(ceres_${t}_shared PROPERTIES
      OUTPUT_NAME ceres-${t} EXPORT_NAME ceres-${t}
      VERSION ${PROJECT_VERSION}.0 SOVERSION ${CERES_SOVERSION}
      LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
    # Every symbol a library uses must come from it or from what it links.
    target_link_options(ceres_${t}_shared PRIVATE -Wl,--no-undefined)
    if(NOT CERES_TRACE)
      target_compile_definitions(ceres_${t}_shared PRIVATE CERES_TRACE_OFF)
    endif()
  endforeach()
  list(APPEND CERES_TRACE_TARGETS ceres_trace_shared)
  list(APPEND CERES_GB_TARGETS ceres_gb_shared)
endif()

install(TARGETS ceres RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ${CERES_TRACE_TARGETS} EXPORT CeresTraceTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS ${CERES_GB_TARGETS} EXPORT CeresGBTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CERES_PUBLIC_TRACE_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ceres/trace)
install(FILES ${CERES_PUBLIC_GB_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ceres/gb)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/suites/ DESTINATION ${CMAKE_INSTALL_DATADIR}/ceres/suites)

foreach(pkg CeresTrace CeresGB)
  set(cfgdir ${CMAKE_INSTALL_LIBDIR}/cmake/${pkg})
  install(EXPORT ${pkg}Targets NAMESPACE ${pkg}:: DESTINATION ${cfgdir})
  configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/${pkg}Config.cmake.in
    ${CMAKE_BINARY_DIR}/cmake/${pkg}Config.cmake INSTALL_DESTINATION ${cfgdir})
  write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/${pkg}ConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${CMAKE_BINARY_DIR}/cmake/${pkg}Config.cmake
                ${CMAKE_BINARY_DIR}/cmake/${pkg}ConfigVersion.cmake DESTINATION ${cfgdir})
endforeach()

# pkg-config files locate the prefix from their own place (${pcfiledir}), so
# they stay right when the installed tree is moved.
file(RELATIVE_PATH CERES_PC_TO_PREFIX
     /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" CERES_PC_TO_PREFIX "${CERES_PC_TO_PREFIX}")
foreach(pc ceres-trace ceres-gb)
  configure_file(${CMAKE_SOURCE_DIR}/cmake/${pc}.pc.in ${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# Manual page, generated from the program's --help texts at build time (so
# it describes the options this build has), and shell completions (which
# read the --help texts when completing).
set(CERES_MAN ${CMAKE_BINARY_DIR}/man/ceres.1)
add_custom_command(OUTPUT ${CERES_MAN}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
  COMMAND ${CMAKE_SOURCE_DIR}/man/gen-man.sh $<TARGET_FILE:ceres> ${CMAKE_SOURCE_DIR}/man/ceres.1.in
          ${CERES_MAN} ${PROJECT_VERSION}
  DEPENDS ceres ${CMAKE_SOURCE_DIR}/man/ceres.1.in ${CMAKE_SOURCE_DIR}/man/gen-man.sh
  COMMENT "Generating man/ceres.1 from the --help texts" VERBATIM)
add_custom_target(ceres_man ALL DEPENDS ${CERES_MAN})
install(FILES ${CERES_MAN} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/completions/ceres.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ceres)
install(FILES ${CMAKE_SOURCE_DIR}/completions/_ceres
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
