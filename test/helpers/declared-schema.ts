import ts from 'typescript';

export interface DeclaredColumn {
  name: string;
  /** The column's select type admits null (`T | null`). */
  nullable: boolean;
}

/** Table name → columns, as the Kysely `Database` interface declares them. */
export type DeclaredSchema = Record<string, DeclaredColumn[]>;

/**
 * Reads the tables and columns that the application's Kysely `Database` interface declares, with
 * the TypeScript compiler (the types themselves are gone at run time). Resolves type aliases
 * (`Int8`) and Kysely's `ColumnType<Select, ...>`/`Generated<T>` to the type a select returns.
 */
export const readDeclaredSchema = (file: string, interfaceName = 'Database'): DeclaredSchema => {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`cannot read ${file}`);
  const checker = program.getTypeChecker();
  const decl = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === interfaceName,
  );
  if (!decl) throw new Error(`${file} declares no interface ${interfaceName}`);

  const selectType = (type: ts.Type): ts.Type => {
    const select = type.getProperty('__select__');
    return select ? checker.getTypeOfSymbolAtLocation(select, decl) : type;
  };
  const admitsNull = (type: ts.Type): boolean =>
    type.isUnion()
      ? type.types.some((t) => (t.flags & ts.TypeFlags.Null) !== 0)
      : (type.flags & ts.TypeFlags.Null) !== 0;

  const schema: DeclaredSchema = {};
  for (const table of checker.getPropertiesOfType(checker.getTypeAtLocation(decl))) {
    const row = checker.getTypeOfSymbolAtLocation(table, decl);
    schema[table.name] = checker.getPropertiesOfType(row).map((column) => ({
      name: column.name,
      nullable: admitsNull(selectType(checker.getTypeOfSymbolAtLocation(column, decl))),
    }));
  }
  return schema;
};
