console.log('lifeline-server: not built yet');
