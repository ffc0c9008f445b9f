# ThreadSanitizer and libFuzzer builds. Included from the top-level CMakeLists.txt before the
# targets are defined, so the compile options reach the library as well as the programs.
#
#   cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUFACE_TSAN=ON
#   CC=clang cmake -S . -B build-fuzz -DAUFACE_FUZZ=ON -DAUFACE_BUILD_TESTS=OFF   (scripts/fuzz.sh)

option(AUFACE_TSAN "Build with ThreadSanitizer" OFF)
option(AUFACE_FUZZ "Build the libFuzzer harnesses of fuzz/ with ASan+UBSan (clang only)" OFF)

if(AUFACE_TSAN AND (AUFACE_SANITIZE OR AUFACE_FUZZ))
  message(FATAL_ERROR "AUFACE_TSAN cannot be combined with AUFACE_SANITIZE or AUFACE_FUZZ "
                      "(ThreadSanitizer and AddressSanitizer exclude each other)")
endif()

if(AUFACE_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=thread)
  # GCC instruments the ifunc resolvers of target_clones functions, and they run during
  # relocation, before the TSan runtime is up: the programs crash at start. Races do not
  # depend on the FMA clones, so the attribute becomes a harmless one here.
  add_compile_options("-Dtarget_clones(...)=unused")
endif()

if(AUFACE_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "AUFACE_FUZZ needs clang (libFuzzer): configure with CC=clang")
  endif()
  # The library gets coverage instrumentation only; -fsanitize=fuzzer (libFuzzer's main) is
  # linked into the harnesses alone.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
  # Clang 14 (Debian 12) names the resolver of an exported target_clones function
  # "f.ifunc", so calls from other files do not link; the harnesses do not need the FMA
  # clones, so the attribute becomes a harmless one here (as for TSan above).
  add_compile_options("-Dtarget_clones(...)=unused")
  # One executable fuzz_<name> per target of fuzz/targets.c (same names, same order).
  set(AUFACE_FUZZ_TARGETS onnx ccnf_patches clnf_validator clnf_text mtcnn pdm au_models
                          triangulation landmark_csv hog image)
  set(fuzz_programs "")
  foreach(name ${AUFACE_FUZZ_TARGETS})
    add_executable(fuzz_${name} ${CMAKE_SOURCE_DIR}/fuzz/entry.c ${CMAKE_SOURCE_DIR}/fuzz/targets.c)
    target_compile_definitions(fuzz_${name} PRIVATE AU_FUZZ_TARGET_NAME="${name}")
    target_link_libraries(fuzz_${name} PRIVATE auface_core) # defined later; resolved at generation
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    list(APPEND fuzz_programs fuzz_${name})
  endforeach()
  add_custom_target(fuzz_all DEPENDS ${fuzz_programs})
endif()

# tests/unit/test_fuzz_regressions.c replays fuzz/regressions/<target>/* in every build.
set_source_files_properties(${CMAKE_SOURCE_DIR}/tests/unit/test_fuzz_regressions.c PROPERTIES
  COMPILE_DEFINITIONS AU_FUZZ_REGRESSIONS_DIR="${CMAKE_SOURCE_DIR}/fuzz/regressions")
