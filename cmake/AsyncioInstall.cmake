# install() rules and the exported CMake package, so that
#   find_package(asyncio CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE asyncio::asyncio)
# works from an install prefix.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS asyncio EXPORT asyncioTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/asyncio
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")
install(EXPORT asyncioTargets NAMESPACE asyncio:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/asyncio)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/asyncioConfig.cmake.in
  ${PROJECT_BINARY_DIR}/asyncioConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/asyncio)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/asyncioConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/asyncioConfig.cmake
  ${PROJECT_BINARY_DIR}/asyncioConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FindLibuv.cmake
  ${PROJECT_SOURCE_DIR}/cmake/AsyncioCompilerCheck.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/asyncio)
# The page the compiler check points g++ 12 users to.
install(FILES ${PROJECT_SOURCE_DIR}/docs/compilers.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
