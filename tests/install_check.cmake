# Install the build into a scratch prefix and check that the installed binary
# finds every plugin without --plugin-dir or DNSACME_PLUGIN_DIR, and that the
# renewal units went where systemd looks.
#   cmake -DBUILD=<build dir> -DPREFIX=<scratch dir> -P install_check.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD}" --prefix "${PREFIX}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E env --unset=DNSACME_PLUGIN_DIR
                        "${PREFIX}/bin/dnsacme" plugins
                OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "installed dnsacme plugins failed (${rc}): ${out}")
endif()
foreach(plugin alidns rfc2136 route53)
  if(NOT out MATCHES "(^|\n)${plugin} ")
    message(FATAL_ERROR "installed dnsacme does not list ${plugin}:\n${out}")
  endif()
endforeach()
foreach(unit dnsacme-renew.service dnsacme-renew.timer)
  if(NOT EXISTS "${PREFIX}/lib/systemd/system/${unit}")
    message(FATAL_ERROR "cmake --install did not put ${unit} in lib/systemd/system")
  endif()
endforeach()
file(REMOVE_RECURSE "${PREFIX}")
message(STATUS "installed binary finds its plugins; the renewal units are in place")
