import { AppError } from '../core/errors.js';

export const factoryErrors = {
  factoryNotFound: () => new AppError('FACTORY_NOT_FOUND', 404, 'factory not found'),
  badFactoryKey: (message: string) => new AppError('FACTORY_BAD_KEY', 400, `invalid factory key: ${message}`),
  badName: () => new AppError('FACTORY_BAD_NAME', 400, 'a factory name has 1 to 128 printable characters'),
  factoryExists: (what: 'name' | 'key', id: string) =>
    new AppError('FACTORY_EXISTS', 409, `a factory with this ${what} is registered already`, {
      body: { factory_id: id },
    }),
  importNotFound: () => new AppError('IMPORT_NOT_FOUND', 404, 'import not found'),
  unsigned: () =>
    new AppError(
      'IMPORT_UNSIGNED',
      400,
      'the manifest is not signed; sign it with a registered factory key, or allow unsigned manifests explicitly',
    ),
  badSignature: () =>
    new AppError(
      'IMPORT_BAD_SIGNATURE',
      400,
      'the manifest signature does not verify against any enabled factory key of the tenant (changed manifest, or unregistered key)',
    ),
  badManifest: (message: string) => new AppError('IMPORT_BAD_MANIFEST', 400, message),
  tooLarge: (maxBytes: number) =>
    new AppError('IMPORT_TOO_LARGE', 413, `the manifest is larger than ${maxBytes} bytes`),
  running: (id: string) =>
    new AppError('IMPORT_RUNNING', 409, 'an import of this manifest is running already', {
      body: { import_id: id },
    }),
};
