# End-to-end tests: the auface binary on the shipped media, compared with OpenFace 2.2's
# own outputs by auface-compare. Each test is a shell script taking the build folder and
# the shared folder.
file(GLOB e2e_scripts CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/e2e/*.sh)
foreach(script ${e2e_scripts})
  get_filename_component(name ${script} NAME_WE)
  if(name STREQUAL "lib")
    continue()
  endif()
  add_test(NAME e2e.${name}
           COMMAND bash ${script} ${CMAKE_BINARY_DIR} ${AUFACE_SHARED_DIR})
  set_tests_properties(e2e.${name} PROPERTIES LABELS e2e TIMEOUT 600)
endforeach()
