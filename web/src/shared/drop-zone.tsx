import { Box } from '@mantine/core';
import { type ReactNode, useState } from 'react';

/**
 * A dashed area that takes files dropped on it (its children hold the file input, so the files
 * can be chosen without a mouse too). Highlighted while something is dragged over it.
 */
export const FileDropZone = ({
  onFiles,
  disabled,
  testId,
  children,
}: {
  onFiles: (files: FileList) => void;
  disabled?: boolean;
  testId?: string;
  children: ReactNode;
}) => {
  const [dragging, setDragging] = useState(false);
  return (
    <Box
      onDragOver={(e) => {
        e.preventDefault();
        if (!disabled) setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        if (!disabled && e.dataTransfer.files.length > 0) onFiles(e.dataTransfer.files);
      }}
      p="md"
      data-testid={testId}
      data-dragging={dragging || undefined}
      style={{
        border: `2px dashed var(--mantine-color-${dragging ? 'blue-6' : 'gray-4'})`,
        borderRadius: 'var(--mantine-radius-md)',
        background: dragging ? 'var(--mantine-color-blue-0)' : undefined,
      }}
    >
      {children}
    </Box>
  );
};
