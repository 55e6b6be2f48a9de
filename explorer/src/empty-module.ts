// The empty module for Node built-ins reached only through dead code (vite.config.ts).
export default {};
