console.log('lifeline-storm: not built yet');
