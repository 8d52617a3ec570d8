// Types of the native addon (generated into binding.d.ts by `napi build`); native.js adds only
// load-error messages. The public API's types are index.d.ts.
export * from './binding'
