# The Python package `auface` (python/): the C extension auface._core plus the pure-Python
# layer, built when Python 3's headers and NumPy are found.
#
# Included by the top-level CMakeLists.txt after the auface_core target exists and after
# the test-suite block (it uses AUFACE_SHARED_DIR for the pytest suite).
#
#  - Build: ${CMAKE_BINARY_DIR}/python/auface/ holds the package (the extension and a copy of
#    python/auface/*.py), so `PYTHONPATH=build/python python3 -c 'import auface'` works.
#  - Install: `cmake --install` puts the package in the interpreter's package folder taken
#    relative to the install prefix (Debian's /usr/bin/python3 with the default prefix
#    /usr/local: /usr/local/lib/python3.11/dist-packages, on its sys.path); override with
#    -DAUFACE_PYTHON_INSTALL_DIR=DIR (relative to the prefix, or absolute).
#  - Interpreter: /usr/bin/python3 unless a virtual environment is active or
#    -DPython3_EXECUTABLE=... is given (a pyenv or conda `python3` earlier in PATH would
#    otherwise be picked up, usually without NumPy). pip builds go through setup.py, which
#    passes the pip's own interpreter.
#  - The extension uses NumPy through the buffer protocol only (no NumPy headers): one build
#    works with every NumPy version, but NumPy is required to use the package, so it is
#    required here too.
#  - `python3 -m auface` runs tools/auface.c's main inside the extension: the file is
#    compiled a second time with `main` renamed to auface_cli_main (see python/ext/cli.c).

option(AUFACE_PYTHON "Build the Python package when Python 3 headers and NumPy are found" ON)
if(NOT AUFACE_PYTHON)
  return()
endif()
# A sanitized module cannot be loaded into an uninstrumented interpreter (the sanitizer
# runtime must come first), so sanitizer and fuzzing builds leave the package out.
if(AUFACE_SANITIZE OR AUFACE_TSAN OR AUFACE_FUZZ)
  message(STATUS "Python package: not built in a sanitizer or fuzzing build")
  return()
endif()

if(NOT DEFINED Python3_EXECUTABLE AND NOT DEFINED ENV{VIRTUAL_ENV}
   AND NOT DEFINED ENV{CONDA_PREFIX} AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 3.10 COMPONENTS Interpreter Development.Module NumPy)
if(NOT Python3_FOUND OR NOT Python3_NumPy_FOUND)
  message(STATUS "Python package: not built (needs Python >= 3.10 headers and NumPy; "
                 "Debian: python3-dev python3-numpy)")
  return()
endif()
message(STATUS "Python package: for ${Python3_EXECUTABLE} (${Python3_VERSION})")

set(AUFACE_PYTHON_DIR ${CMAKE_BINARY_DIR}/python)

# The auface program's sources (whatever the `auface` target compiles) with main renamed,
# for _core.cli_main.
get_target_property(AUFACE_CLI_SOURCES auface SOURCES)
add_library(auface_cli_embedded OBJECT ${AUFACE_CLI_SOURCES})
target_compile_definitions(auface_cli_embedded PRIVATE main=auface_cli_main)
target_link_libraries(auface_cli_embedded PRIVATE auface_core)
set_target_properties(auface_cli_embedded PROPERTIES POSITION_INDEPENDENT_CODE ON)

file(GLOB AUFACE_PYTHON_EXT_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/python/ext/*.c)
Python3_add_library(auface_python_ext MODULE WITH_SOABI
  ${AUFACE_PYTHON_EXT_SOURCES} $<TARGET_OBJECTS:auface_cli_embedded>)
target_link_libraries(auface_python_ext PRIVATE auface_core)
# The module exports PyInit__core only: auface's internal names (and FFmpeg's, linked
# in) can never clash with another extension's in the same process.
set(AUFACE_PYTHON_MAP ${CMAKE_BINARY_DIR}/python-module.map)
file(WRITE ${AUFACE_PYTHON_MAP} "{\n  global: PyInit__core;\n  local: *;\n};\n")
target_link_options(auface_python_ext PRIVATE -Wl,--version-script=${AUFACE_PYTHON_MAP})
set_target_properties(auface_python_ext PROPERTIES
  OUTPUT_NAME _core
  LIBRARY_OUTPUT_DIRECTORY ${AUFACE_PYTHON_DIR}/auface
  LINK_DEPENDS ${AUFACE_PYTHON_MAP})
# A Python module links with undefined symbols allowed (the interpreter provides Py*), so
# a missing auface function would only show at import. Refuse such a module at build time.
set(AUFACE_PYTHON_SYMBOL_CHECK
  [[nm -u "$1" | grep -E ' (au|auface)_' || exit 0; echo "$1: undefined (above)" >&2; rm "$1"; exit 1]])
add_custom_command(TARGET auface_python_ext POST_BUILD
  COMMAND sh -c "${AUFACE_PYTHON_SYMBOL_CHECK}" sh $<TARGET_FILE:auface_python_ext>
  VERBATIM)

# The pure-Python files, copied beside the extension at build time (edits are picked up by
# the next build).
file(GLOB AUFACE_PYTHON_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/python/auface/*.py)
set(AUFACE_PYTHON_COPIES "")
foreach(src ${AUFACE_PYTHON_SOURCES})
  get_filename_component(name ${src} NAME)
  set(dst ${AUFACE_PYTHON_DIR}/auface/${name})
  add_custom_command(OUTPUT ${dst}
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${src} ${dst}
    DEPENDS ${src}
    COMMENT "Python package: ${name}")
  list(APPEND AUFACE_PYTHON_COPIES ${dst})
endforeach()
add_custom_target(auface_python ALL DEPENDS ${AUFACE_PYTHON_COPIES} auface_python_ext)

# ---- install ----------------------------------------------------------------------------
# The interpreter's package folder relative to its data prefix ("lib/python3.11/dist-packages"
# for Debian, "lib/python3.X/site-packages" elsewhere), placed under CMAKE_INSTALL_PREFIX.
execute_process(
  COMMAND ${Python3_EXECUTABLE} -c
    "import os, sysconfig as s; print(os.path.relpath(s.get_path('platlib'), s.get_path('data')))"
  OUTPUT_VARIABLE auface_python_rel OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE auface_python_rel_rc)
if(NOT auface_python_rel_rc EQUAL 0 OR auface_python_rel MATCHES "^\\.\\.")
  set(auface_python_rel lib/python${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}/site-packages)
endif()
set(AUFACE_PYTHON_INSTALL_DIR ${auface_python_rel} CACHE STRING
    "Where `cmake --install` puts the auface Python package (relative to the prefix)")
install(TARGETS auface_python_ext LIBRARY DESTINATION ${AUFACE_PYTHON_INSTALL_DIR}/auface)
install(FILES ${AUFACE_PYTHON_SOURCES} DESTINATION ${AUFACE_PYTHON_INSTALL_DIR}/auface)

# ---- tests ------------------------------------------------------------------------------
# pytest from Debian's python3-pytest, on the package as built. Exit status 5 (no test
# collected) means the suite is missing and fails the test too.
if(AUFACE_BUILD_TESTS)
  add_test(NAME python.pytest
    COMMAND ${CMAKE_COMMAND} -E env
      PYTHONPATH=${AUFACE_PYTHON_DIR}
      AUFACE_SHARED_DIR=${AUFACE_SHARED_DIR}
      AUFACE_CLI=$<TARGET_FILE:auface>
      AUFACE_BUILD_DIR=${CMAKE_BINARY_DIR}
      MPLBACKEND=Agg
      PYTHONDONTWRITEBYTECODE=1
      ${Python3_EXECUTABLE} -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/python
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(python.pytest PROPERTIES LABELS python TIMEOUT 600)
endif()
