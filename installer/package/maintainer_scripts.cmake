# cmake -DPARLEYD=<parleyd> -DSOURCE=<installer/package> -DOUTPUT=<dir> -P maintainer_scripts.cmake
# Fills the maintainer scripts' templates with what the built parleyd reports.
execute_process(COMMAND ${PARLEYD} --version OUTPUT_VARIABLE version RESULT_VARIABLE status)
if(NOT status EQUAL 0 OR NOT version MATCHES "database schema ([0-9]+)")
  message(FATAL_ERROR "${PARLEYD} --version did not name its database schema: ${version}")
endif()
set(PARLEY_SCHEMA_VERSION ${CMAKE_MATCH_1})
foreach(script preinst postinst)
  configure_file(${SOURCE}/${script}.in ${OUTPUT}/${script} @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                  WORLD_READ WORLD_EXECUTE)
endforeach()
