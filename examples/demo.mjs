console.log('demo: coming with the server issue');
