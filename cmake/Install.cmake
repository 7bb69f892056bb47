# cmake --install: static library, headers, CMake package, pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS simdquant EXPORT simdquantTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/simdquant
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(SIMDQUANT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/simdquant)
install(EXPORT simdquantTargets NAMESPACE simdquant::
  DESTINATION ${SIMDQUANT_CMAKE_DIR})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/simdquantConfig.cmake.in
  ${PROJECT_BINARY_DIR}/simdquantConfig.cmake
  INSTALL_DESTINATION ${SIMDQUANT_CMAKE_DIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/simdquantConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/simdquantConfig.cmake
  ${PROJECT_BINARY_DIR}/simdquantConfigVersion.cmake
  DESTINATION ${SIMDQUANT_CMAKE_DIR})

# Relocatable: the prefix is found from the .pc file's own location, so the
# package works wherever `cmake --install --prefix` puts it.
file(RELATIVE_PATH SIMDQUANT_PC_TO_PREFIX
  "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/simdquant.pc.in
  ${PROJECT_BINARY_DIR}/simdquant.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/simdquant.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
