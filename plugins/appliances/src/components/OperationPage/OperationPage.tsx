import { Content, ContentHeader } from '@backstage/core-components';
import { Route, Routes, useParams } from 'react-router-dom';
import { OperationView } from './OperationView';

function OperationRoute() {
  const { id } = useParams();
  return <OperationView operationId={id!} />;
}

/** /appliances/operations/:id — a provisioning operation followed live. */
export function OperationPage() {
  return (
    <Content>
      <ContentHeader title="Provisioning" />
      <Routes>
        <Route path=":id" element={<OperationRoute />} />
      </Routes>
    </Content>
  );
}
