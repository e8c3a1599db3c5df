// Comment syntax per file type, for the SPDX header monobot/license asks for and recognises.

/** How a file type writes comments: a line comment token and/or a block comment pair. */
export interface CommentSyntax {
  line?: string;
  block?: readonly [open: string, close: string];
}

const C_LIKE: CommentSyntax = { line: "//", block: ["/*", "*/"] };
const HASH: CommentSyntax = { line: "#" };
const DASHES: CommentSyntax = { line: "--" };
const SEMI: CommentSyntax = { line: ";" };
const PERCENT: CommentSyntax = { line: "%" };
const XML: CommentSyntax = { block: ["<!--", "-->"] };

const BY_EXTENSION: Record<string, CommentSyntax> = {};
function register(syntax: CommentSyntax, extensions: string): void {
  for (const ext of extensions.split(" ")) BY_EXTENSION[ext] = syntax;
}
register(
  C_LIKE,
  "js mjs cjs jsx ts tsx mts cts go rs java kt kts scala sc swift c h cc cpp cxx hpp hh hxx ino cs dart groovy gradle jenkinsfile proto php sol zig fs fsx fsi m mm scss less jsonc",
);
register(
  HASH,
  "py pyi pyx sh bash zsh fish ksh rb rake gemspec pl pm r ps1 psm1 tf tfvars hcl nix ex exs jl cmake mk yaml yml toml cfg conf properties bzl bazel star awk sed",
);
register({ block: ["/*", "*/"] }, "css");
register(XML, "html htm xhtml xml xsd xsl xslt svg vue svelte md markdown");
register({ line: "--", block: ["/*", "*/"] }, "sql");
register({ line: "--", block: ["--[[", "]]"] }, "lua");
register({ line: "--", block: ["{-", "-}"] }, "hs lhs elm purs");
register(DASHES, "ada adb ads vhd vhdl");
register(SEMI, "clj cljs cljc edn el lisp lsp scm ss rkt asm ini");
register(PERCENT, "erl hrl tex sty cls");
register({ block: ["(*", "*)"] }, "ml mli");
register({ line: "'" }, "vb vbs bas");
register({ line: "REM" }, "bat cmd");
register({ line: '"' }, "vim");
register({ block: ["{{/*", "*/}}"] }, "tpl gotmpl");
register({ block: ["<%#", "%>"] }, "erb");
register({ block: ["{{!--", "--}}"] }, "hbs handlebars mustache");
register({ line: ".." }, "rst");

/** Files known by name rather than extension. */
const BY_NAME: Record<string, CommentSyntax> = {
  dockerfile: HASH,
  containerfile: HASH,
  makefile: HASH,
  gnumakefile: HASH,
  "cmakelists.txt": HASH,
  rakefile: HASH,
  gemfile: HASH,
  vagrantfile: HASH,
  build: HASH,
  workspace: HASH,
  jenkinsfile: C_LIKE,
  ".gitignore": HASH,
  ".dockerignore": HASH,
  ".editorconfig": HASH,
  ".gitattributes": HASH,
};

/** The comment syntax of a path's file type, or `undefined` when monobot does not know it. */
export function commentSyntaxFor(path: string): CommentSyntax | undefined {
  const name = (path.slice(path.lastIndexOf("/") + 1) || path).toLowerCase();
  const byName = BY_NAME[name];
  if (byName) return byName;
  if (name.startsWith("dockerfile.") || name.endsWith(".dockerfile")) return HASH;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return undefined;
  return BY_EXTENSION[name.slice(dot + 1)];
}

/** The exact header line to write for a file: `// SPDX-License-Identifier: MIT` and so on. */
export function headerFor(syntax: CommentSyntax, expression: string): string {
  const text = `SPDX-License-Identifier: ${expression}`;
  if (syntax.line !== undefined) return `${syntax.line} ${text}`;
  const [open, close] = syntax.block ?? ["#", ""];
  return `${open} ${text} ${close}`;
}

// A first line that must stay first: a shebang, an XML declaration, a PHP opening tag.
export const MUST_STAY_FIRST = /^(#!|<\?xml|<\?php|<!doctype)/i;

/** The text of a comment line without the file type's closing token. */
export function stripCommentClose(text: string, syntax: CommentSyntax): string {
  let t = text.trim();
  const close = syntax.block?.[1];
  if (close && t.endsWith(close)) t = t.slice(0, -close.length).trim();
  return t;
}

/** The text of a comment line without its opening and closing tokens. */
export function stripCommentOpen(line: string, syntax: CommentSyntax): string {
  let t = line.trim();
  for (const token of [syntax.line, syntax.block?.[0], "*"]) {
    if (token !== undefined && t.startsWith(token)) {
      t = t.slice(token.length).trim();
      break;
    }
  }
  return stripCommentClose(t, syntax);
}

/** True when the text before the SPDX tag is a comment opener of the file's type. */
export function inCommentSyntax(
  prefix: string,
  syntax: CommentSyntax,
  insideBlock: boolean,
): boolean {
  const p = prefix.trim();
  if (syntax.line !== undefined && p.startsWith(syntax.line)) return true;
  if (syntax.block !== undefined) {
    if (p.startsWith(syntax.block[0])) return true;
    if (insideBlock && (p === "" || p.startsWith("*"))) return true;
  }
  return false;
}

/** The comment forms of a file type in words, for a message. */
export function describeSyntax(syntax: CommentSyntax): string {
  const forms: string[] = [];
  if (syntax.line !== undefined) forms.push(`\`${syntax.line}\``);
  if (syntax.block !== undefined) forms.push(`\`${syntax.block[0]} ... ${syntax.block[1]}\``);
  return forms.join(" or ");
}
